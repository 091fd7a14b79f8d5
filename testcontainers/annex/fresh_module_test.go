package annex_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFreshUserModule follows the README: a new module depends on this one
// (a replace stands in for `go get …@latest`, since this checkout is not
// published) and its test starts the image with Run alone — no replace of
// the main annex module, no TESTCONTAINERS_HOST_OVERRIDE.
func TestFreshUserModule(t *testing.T) {
	requireDocker(t)
	self, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/user\n\ngo 1.26.0\n")
	write("user_test.go", `package user_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/testcontainers/testcontainers-go"

	"github.com/annexlab/annex/testcontainers/annex"
)

func TestAnnexUp(t *testing.T) {
	ctx := context.Background()
	ctr, err := annex.Run(ctx, annex.DefaultImage)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatal(err)
	}
	u, err := ctr.EngineURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatal(resp.Status)
	}
}
`)
	env := os.Environ()
	for _, kv := range env {
		if strings.HasPrefix(kv, "TESTCONTAINERS_HOST_OVERRIDE=") {
			t.Fatalf("requireDocker left %s set", kv)
		}
	}
	for _, args := range [][]string{
		{"mod", "edit", "-replace", "github.com/annexlab/annex/testcontainers/annex=" + self},
		{"mod", "edit", "-require", "github.com/annexlab/annex/testcontainers/annex@v0.0.0"},
		{"mod", "tidy"},
		{"test", "-count=1", "./..."},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
