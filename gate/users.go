package gate

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/proxy"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/shards"
)

// gateUserSet is the config's users as the gate uses them.
type gateUserSet struct {
	passwords map[string]string // for proxy.Config.Users; nil: trust
	access    func(user string) *engine.Access
	shardsFor func(user string) map[string]map[string]engine.Shard
	logins    map[string]shardLogin // user -> its shard role, when it has one
	rights    map[string]*engine.Access
}

// shardLogin is the role a user's backend connections log in as.
type shardLogin struct{ user, password string }

// gateUsers turns the config's users into the wire server's passwords and
// the sessions' rights. A verifier that does not parse stops the gate; a
// plaintext password is accepted with a warning (it sits in the file in
// clear: `vitess passwd` makes a verifier).
func gateUsers(cfg *router.Config, log *slog.Logger) (*gateUserSet, error) {
	us := &gateUserSet{logins: map[string]shardLogin{}, rights: map[string]*engine.Access{}}
	if len(cfg.Users) == 0 {
		return us, nil // trust: every client may do everything
	}
	us.passwords = map[string]string{}
	for _, u := range cfg.Users {
		if proxy.IsVerifier(u.Password) {
			if _, err := proxy.ParseVerifier(u.Password); err != nil {
				return nil, fmt.Errorf("user %s: %w", u.Name, err)
			}
		} else {
			log.Warn("user has a plaintext password in the config; store a SCRAM verifier instead (vitess passwd)", "user", u.Name)
		}
		us.passwords[u.Name] = u.Password
		a := &engine.Access{Admin: u.Admin}
		if u.Keyspaces != nil {
			a.Keyspaces = map[string]bool{}
			for _, ks := range u.Keyspaces {
				a.Keyspaces[ks] = true
			}
		}
		us.rights[u.Name] = a
		if u.ShardUser != "" {
			us.logins[u.Name] = shardLogin{u.ShardUser, u.ShardPassword}
		}
	}
	us.access = func(user string) *engine.Access {
		if a, ok := us.rights[user]; ok {
			return a
		}
		// Authentication admits only configured users; an unknown name
		// here gets nothing it could misuse.
		return &engine.Access{Keyspaces: map[string]bool{}}
	}
	return us, nil
}

// openShardLogins opens, for each shard role users log in as, its own
// tablets (and pools) for the Postgres shards; SQLite shards have no roles and are shared. It warns about
// every Postgres shard whose role is a superuser.
func (g *Gate) openShardLogins(ctx context.Context, vs *router.VSchema, base map[string]map[string]engine.Shard, us *gateUserSet) error {
	byLogin := map[shardLogin]map[string]map[string]engine.Shard{}
	for _, login := range us.logins {
		m := byLogin[login]
		if m == nil {
			m = map[string]map[string]engine.Shard{}
			byLogin[login] = m
		}
		for name, ks := range vs.Keyspaces {
			// Every keyspace, not only the user's: the gate writes lookup
			// tables of other keyspaces on the user's behalf.
			if m[name] != nil {
				continue
			}
			m[name] = map[string]engine.Shard{}
			for _, s := range ks.Shards {
				m[name][s] = base[name][s]
				if !isPostgresURL(ks.URLs[s]) {
					continue
				}
				url, err := shardURLAs(ks.URLs[s], login)
				if err != nil {
					return fmt.Errorf("keyspace %s shard %s: %w", name, s, err)
				}
				t, err := shards.Open(ctx, name, s, url, g.tabletOptions(ks))
				if err != nil {
					return fmt.Errorf("shardUser %s: %w", login.user, err)
				}
				g.loginTablets = append(g.loginTablets, t)
				m[name][s] = t
			}
		}
	}
	for _, t := range append(g.tablets[:len(g.tablets):len(g.tablets)], g.loginTablets...) {
		warnSuperuser(ctx, t, g.log)
	}
	us.shardsFor = func(user string) map[string]map[string]engine.Shard {
		if login, ok := us.logins[user]; ok {
			return byLogin[login]
		}
		return nil
	}
	return nil
}

func isPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// shardURLAs is a Postgres shard URL with the login's user and password in
// place of its own (in the authority and in user=/password= parameters).
func shardURLAs(raw string, login shardLogin) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("shard URL: %w", err)
	}
	if login.password != "" {
		u.User = url.UserPassword(login.user, login.password)
	} else {
		u.User = url.User(login.user)
	}
	q := u.Query()
	if q.Has("user") || q.Has("password") {
		q.Del("user")
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// warnSuperuser logs a warning when a Postgres shard's role is a
// superuser: gate users reaching the shard as it can do anything there
// (read other databases' files, run programs with COPY ... PROGRAM).
func warnSuperuser(ctx context.Context, t *shards.Tablet, log *slog.Logger) {
	if engine.EngineOf(t) != engine.EnginePostgres {
		return
	}
	rows, err := t.Query(ctx, `SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user`, nil)
	if err != nil {
		log.Warn("cannot tell whether the shard role is a superuser", "keyspace", t.Keyspace, "shard", t.Name(), "err", err)
		return
	}
	defer rows.Close()
	r, err := rows.Next(ctx)
	if err != nil || len(r) < 2 {
		return
	}
	if s := string(r[1]); s == "t" || s == "true" {
		log.Warn("shard role is a superuser: gate users that reach this shard as it can do anything on its server; give the shard URL (or users' shardUser) a role without superuser", "keyspace", t.Keyspace, "shard", t.Name(), "role", string(r[0]))
	}
}

// Passwd reads a password (prompting on a terminal, else the first
// line of stdin) and prints its SCRAM-SHA-256 verifier for the config.
func Passwd(in *os.File, out, prompt io.Writer) error {
	var pw string
	if term.IsTerminal(int(in.Fd())) {
		fmt.Fprint(prompt, "Password: ")
		b, err := term.ReadPassword(int(in.Fd()))
		if err != nil {
			return fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(prompt, "\nAgain: ")
		again, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return fmt.Errorf("read password: %w", err)
		}
		if string(again) != string(b) {
			return fmt.Errorf("the passwords differ")
		}
		pw = string(b)
	} else {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("read password: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if pw == "" {
		return fmt.Errorf("empty password")
	}
	_, err := fmt.Fprintln(out, proxy.NewVerifier(pw))
	return err
}
