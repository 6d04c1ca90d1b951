package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/dotdo/vitess/gatetest"
)

const adminToken = "s3cret-admin-token"

// TestAdminCommands: `vitess status` and `vitess vschema` pass the admin
// HTTP's token from --token or VITESS_ADMIN_TOKEN.
func TestAdminCommands(t *testing.T) {
	admin := gatetest.FreeAddr(t)
	gatetest.StartConfig(t, fmt.Sprintf("admin: {listen: %q, token: %q}\n", admin, adminToken))
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		app := newApp()
		app.Writer = &out
		err := app.Run(append([]string{"vitess"}, args...))
		return out.String(), err
	}
	if _, err := run("status", "--admin", admin); err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "VITESS_ADMIN_TOKEN") {
		t.Errorf("vitess status without the token: %v", err)
	}
	if out, err := run("status", "--admin", admin, "--token", adminToken); err != nil || strings.Count(out, "main ") != 4 {
		t.Errorf("vitess status --token: %v\n%s", err, out)
	}
	t.Setenv("VITESS_ADMIN_TOKEN", adminToken)
	if out, err := run("status", "--admin", admin, "--json"); err != nil || !strings.Contains(out, `"shardCount":4`) {
		t.Errorf("vitess status with VITESS_ADMIN_TOKEN: %v\n%s", err, out)
	}
	if out, err := run("vschema", "--admin", admin, "--keyspace", "main"); err != nil || !strings.Contains(out, `"keyspace": "main"`) {
		t.Errorf("vitess vschema with VITESS_ADMIN_TOKEN: %v\n%s", err, out)
	}
	if _, err := run("vschema", "--admin", admin, "--token", "wrong"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("vitess vschema --token wrong: %v", err)
	}
}
