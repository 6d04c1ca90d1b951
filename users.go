package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/proxy"
	"github.com/dotdo/vitess/router"
)

// gateUsers turns the config's users into the wire server's passwords and
// the sessions' rights. A verifier that does not parse stops the gate; a
// plaintext password is accepted with a warning (it sits in the file in
// clear: `vitess passwd` makes a verifier).
func gateUsers(cfg *router.Config, log *slog.Logger) (map[string]string, func(string) *planner.Access, error) {
	passwords := map[string]string{}
	rights := map[string]*planner.Access{}
	for _, u := range cfg.Users {
		if proxy.IsVerifier(u.Password) {
			if _, err := proxy.ParseVerifier(u.Password); err != nil {
				return nil, nil, fmt.Errorf("user %s: %w", u.Name, err)
			}
		} else {
			log.Warn("user has a plaintext password in the config; store a SCRAM verifier instead (vitess passwd)", "user", u.Name)
		}
		passwords[u.Name] = u.Password
		a := &planner.Access{Admin: u.Admin}
		if u.Keyspaces != nil {
			a.Keyspaces = map[string]bool{}
			for _, ks := range u.Keyspaces {
				a.Keyspaces[ks] = true
			}
		}
		rights[u.Name] = a
	}
	if len(passwords) == 0 {
		return nil, nil, nil // trust: every client may do everything
	}
	return passwords, func(user string) *planner.Access {
		if a, ok := rights[user]; ok {
			return a
		}
		// Authentication admits only configured users; an unknown name
		// here gets nothing it could misuse.
		return &planner.Access{Keyspaces: map[string]bool{}}
	}, nil
}

// passwdCommand reads a password (prompting on a terminal, else the first
// line of stdin) and prints its SCRAM-SHA-256 verifier for the config.
func passwdCommand(in *os.File, out, prompt io.Writer) error {
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
