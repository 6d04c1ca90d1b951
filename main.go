// Command vitess is a Postgres-compatible sharding gate: clients connect to
// it as to one Postgres server, and it routes their statements to shards.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dotdo/vitess/gate"
)

// Version is the gate's version, printed by `vitess version`.
var Version = "0.1.0"

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "vitess:", err)
		os.Exit(1)
	}
}

// newApp is the command line: serve, status, vschema, vindex, version.
func newApp() *cli.App {
	return &cli.App{
		Name:  "vitess",
		Usage: "a Postgres-compatible sharding gate",
		Commands: []*cli.Command{
			{
				Name:  "serve",
				Usage: "start the gate",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "config", Usage: "config file (YAML or JSON)"},
					&cli.StringFlag{Name: "listen", Usage: "Postgres listen address (default 127.0.0.1:15432)"},
					&cli.StringFlag{Name: "admin", Usage: "admin HTTP address (default 127.0.0.1:15000)"},
					&cli.StringFlag{Name: "admin-token", EnvVars: []string{"VITESS_ADMIN_TOKEN"}, Usage: "bearer token the admin HTTP requires (overrides the config's admin.token)"},
					&cli.StringFlag{Name: "data-dir", Usage: "where SQLite shards and metadata live (default ./vitess-data)"},
					&cli.IntFlag{Name: "shards", Usage: "number of SQLite shards of the default keyspace (default 4)"},
				},
				Action: serve,
			},
			{
				Name:  "status",
				Usage: "print the shards' health and counters (from a running gate's admin HTTP)",
				Flags: adminClientFlags(
					&cli.StringFlag{Name: "keyspace", Usage: "one keyspace (default: all)"},
					&cli.BoolFlag{Name: "json", Usage: "print the JSON the gate returns"},
				),
				Action: func(c *cli.Context) error {
					return gate.PrintStatus(c.App.Writer, c.String("admin"), c.String("token"), c.String("keyspace"), c.Bool("json"))
				},
			},
			{
				Name:  "vschema",
				Usage: "print the vschema (from a running gate's admin HTTP)",
				Flags: adminClientFlags(
					&cli.StringFlag{Name: "keyspace", Usage: "one keyspace (default: all)"},
				),
				Action: func(c *cli.Context) error {
					return gate.PrintVSchema(c.App.Writer, c.String("admin"), c.String("token"), c.String("keyspace"))
				},
			},
			{
				Name:  "vindex",
				Usage: "lookup vindex tools",
				Subcommands: []*cli.Command{{
					Name:      "backfill",
					Usage:     "build a lookup vindex's table for the rows a table already has (runs in the gate)",
					ArgsUsage: "TABLE VINDEX",
					Flags: adminClientFlags(
						&cli.StringFlag{Name: "keyspace", Value: "main", Usage: "the table's keyspace"},
					),
					Action: func(c *cli.Context) error {
						if c.NArg() != 2 {
							return fmt.Errorf("usage: vitess vindex backfill [--admin ADDR] [--token T] [--keyspace K] TABLE VINDEX (flags first)")
						}
						return gate.Backfill(c.App.Writer, c.String("admin"), c.String("token"), c.String("keyspace"), c.Args().Get(0), c.Args().Get(1))
					},
				}},
			},
			{
				Name:  "passwd",
				Usage: "print the SCRAM-SHA-256 verifier of a password (read from stdin, or asked for on a terminal) for users: in the config",
				Action: func(c *cli.Context) error {
					return gate.Passwd(os.Stdin, c.App.Writer, os.Stderr)
				},
			},
			{
				Name:  "version",
				Usage: "print the version",
				Action: func(c *cli.Context) error {
					fmt.Printf("vitess %s\n", Version)
					return nil
				},
			},
		},
	}
}

// adminClientFlags are the flags of a command that asks a running gate's
// admin HTTP: its address and bearer token, then more.
func adminClientFlags(more ...cli.Flag) []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "admin", Value: "127.0.0.1:15000", Usage: "the gate's admin address"},
		&cli.StringFlag{Name: "token", EnvVars: []string{"VITESS_ADMIN_TOKEN"}, Usage: "the admin HTTP's bearer token"},
	}, more...)
}

func serve(c *cli.Context) error {
	opts := gate.Options{Config: c.String("config"), Listen: c.String("listen"), Admin: c.String("admin"), AdminToken: c.String("admin-token"),
		DataDir: c.String("data-dir"), Shards: c.Int("shards")}
	cfg, err := gate.LoadConfig(opts)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g, err := gate.Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return g.Close(shutdownCtx)
}
