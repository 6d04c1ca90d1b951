package e2e

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"testing"

	_ "github.com/lib/pq"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/dotdo/vitess/gatetest"
)

// TestLibPQ drives the gate with lib/pq (database/sql, extended protocol
// with unnamed statements, text results).
func TestLibPQ(t *testing.T) {
	for _, engine := range gatetest.Engines {
		t.Run(engine, func(t *testing.T) {
			g := gatetest.StartEngine(t, engine, 4, "")
			db := openLibPQ(t, g.URL("main"))
			if _, err := db.Exec(`CREATE TABLE pq_items (id bigint PRIMARY KEY, name text, price numeric(8,2), seen boolean)`); err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 20; i++ {
				if _, err := db.Exec(`INSERT INTO pq_items (id, name, price, seen) VALUES ($1, $2, $3, $4)`, i, "item"+strconv.Itoa(i), float64(i)+0.5, i%2 == 0); err != nil {
					t.Fatal(err)
				}
			}
			var name string
			var price string
			var seen bool
			if err := db.QueryRow(`SELECT name, price, seen FROM pq_items WHERE id = $1`, 4).Scan(&name, &price, &seen); err != nil {
				t.Fatal(err)
			}
			if name != "item4" || price != "4.50" || !seen {
				t.Errorf("row: %s %s %v", name, price, seen)
			}
			var n int
			var total string
			if err := db.QueryRow(`SELECT count(*), sum(price) FROM pq_items WHERE seen`).Scan(&n, &total); err != nil || n != 10 || total != "115.00" {
				t.Errorf("aggregate: %d %s %v", n, total, err)
			}
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(`UPDATE pq_items SET name = 'x' WHERE id IN (1, 2, 3)`); err != nil {
				t.Fatal(err)
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow(`SELECT count(*) FROM pq_items WHERE name = 'x'`).Scan(&n); err != nil || n != 0 {
				t.Errorf("after rollback: %d %v", n, err)
			}
			// A committed multi-shard transaction, serializable, and an error
			// inside one that turns COMMIT into a rollback.
			tx, err = db.BeginTx(context.Background(), &sql.TxOptions{Isolation: sql.LevelSerializable})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(`UPDATE pq_items SET name = 'y' WHERE id IN (1, 2, 3, 4, 5, 6, 7, 8)`); err != nil {
				t.Fatal(err)
			}
			if err := tx.QueryRow(`SELECT count(*) FROM pq_items WHERE name = 'y'`).Scan(&n); err != nil || n != 8 {
				t.Errorf("own writes inside the transaction: %d %v", n, err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			tx, err = db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			tx.Exec(`UPDATE pq_items SET name = 'z' WHERE id IN (1, 2)`)
			if _, err := tx.Exec(`INSERT INTO pq_items (id) VALUES (3)`); err == nil {
				t.Error("duplicate key accepted")
			}
			if err := tx.Commit(); err == nil {
				t.Error("COMMIT of a failed transaction reported success")
			}
			if err := db.QueryRow(`SELECT count(*) FROM pq_items WHERE name = 'y'`).Scan(&n); err != nil || n != 8 {
				t.Errorf("after commit and failed commit: %d %v", n, err)
			}
		})
	}
}

// gormUser is the GORM model of the compatibility test.
type gormUser struct {
	ID       int64 `gorm:"primaryKey;autoIncrement:false"`
	TenantID int64
	Name     string
	Score    int
}

// TestGORM runs GORM's everyday calls through the gate. AutoMigrate reads
// information_schema, which only Postgres shards can answer; on SQLite
// shards the table is created with plain DDL (see README).
func TestGORM(t *testing.T) {
	for _, engine := range gatetest.Engines {
		t.Run(engine, func(t *testing.T) {
			g := gatetest.StartEngine(t, engine, 4, "")
			db, err := gorm.Open(postgres.Open(g.URL("main")), &gorm.Config{Logger: logger.Discard})
			if err != nil {
				t.Fatal(err)
			}
			if engine == "postgres" {
				if err := db.AutoMigrate(&gormUser{}); err != nil {
					t.Fatalf("AutoMigrate: %v", err)
				}
			} else {
				if err := db.Exec(`CREATE TABLE gorm_users (id bigint PRIMARY KEY, tenant_id bigint, name text, score bigint)`).Error; err != nil {
					t.Fatal(err)
				}
				// GORM asks information_schema whether the table exists; the
				// SQLite shards refuse that (0A000), GORM swallows the refusal
				// and tries CREATE TABLE, which fails: AutoMigrate needs
				// Postgres shards.
				if err := db.AutoMigrate(&gormUser{}); err == nil {
					t.Error("AutoMigrate on SQLite shards succeeded")
				}
				var n int64
				err := db.Raw(`SELECT count(*) FROM information_schema.tables`).Scan(&n).Error
				if err == nil || !strings.Contains(err.Error(), "0A000") {
					t.Errorf("catalog query on SQLite shards: want a 0A000 refusal, got %v", err)
				}
			}
			for i := int64(1); i <= 10; i++ {
				if err := db.Create(&gormUser{ID: i, TenantID: i % 3, Name: "u" + strconv.FormatInt(i, 10), Score: int(i * 10)}).Error; err != nil {
					t.Fatalf("Create: %v", err)
				}
			}
			var u gormUser
			if err := db.First(&u, 7).Error; err != nil || u.Name != "u7" {
				t.Errorf("First: %+v %v", u, err)
			}
			var list []gormUser
			if err := db.Where("tenant_id = ? AND score > ?", 1, 10).Order("id").Find(&list).Error; err != nil || len(list) != 3 || list[0].ID != 4 {
				t.Errorf("Where: %+v %v", list, err)
			}
			if err := db.Model(&gormUser{}).Where("id = ?", 7).Update("name", "seven").Error; err != nil {
				t.Errorf("Update: %v", err)
			}
			if err := db.Delete(&gormUser{}, 8).Error; err != nil {
				t.Errorf("Delete: %v", err)
			}
			err = db.Transaction(func(tx *gorm.DB) error {
				if err := tx.Model(&gormUser{}).Where("id = ?", 1).Update("score", 1000).Error; err != nil {
					return err
				}
				return errors.New("roll back")
			})
			if err == nil {
				t.Error("transaction error lost")
			}
			// A committed transaction over several shards, with a nested
			// transaction (a savepoint) rolled back.
			err = db.Transaction(func(tx *gorm.DB) error {
				if err := tx.Model(&gormUser{}).Where("id IN ?", []int64{2, 3, 4, 5}).Update("score", 7).Error; err != nil {
					return err
				}
				_ = tx.Transaction(func(tx2 *gorm.DB) error {
					tx2.Model(&gormUser{}).Where("id IN ?", []int64{2, 3}).Update("score", 99)
					return errors.New("undo the inner part")
				})
				return nil
			})
			if err != nil {
				t.Errorf("Transaction: %v", err)
			}
			var sevens int64
			if err := db.Model(&gormUser{}).Where("score = ?", 7).Count(&sevens).Error; err != nil || sevens != 4 {
				t.Errorf("after the nested transaction: %d with score 7, %v", sevens, err)
			}
			var count int64
			db.Model(&gormUser{}).Count(&count)
			var one gormUser
			db.First(&one, 1)
			var seven gormUser
			db.First(&seven, 7)
			if count != 9 || one.Score != 10 || seven.Name != "seven" {
				t.Errorf("after: count %d, score %d, name %q", count, one.Score, seven.Name)
			}
		})
	}
}

// TestPsqlMetaCommands: psql's \dt, \d, \di, \l and \conninfo query the
// catalogs, which Postgres shards answer.
func TestPsqlMetaCommands(t *testing.T) {
	gatetest.RequireTool(t, "psql")
	g := gatetest.StartEngine(t, "postgres", 2, "")
	c := g.Connect(t)
	gatetest.MustExec(t, c, `CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email varchar(100))`)
	gatetest.MustExec(t, c, `CREATE INDEX users_email_idx ON users (email)`)
	for cmd, want := range map[string]string{
		`\dt`:       "users",
		`\d users`:  "character varying(100)",
		`\di`:       "users_email_idx",
		`\l`:        "List of databases",
		`\conninfo`: "You are connected to database \"main\"",
	} {
		out, err := g.Psql(context.Background(), "app", "main", "-c", cmd).CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) {
			t.Errorf("psql %s: %v\n%s", cmd, err, out)
		}
	}
}
