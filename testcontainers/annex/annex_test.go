package annex_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/pkg/sftp"
	"github.com/testcontainers/testcontainers-go"
	"golang.org/x/crypto/ssh"

	"github.com/annexlab/annex/testcontainers/annex"
)

// requireDocker skips without a Docker engine and makes sure annex:dev
// exists, building it with the repository's Makefile (no registry needed).
func requireDocker(t *testing.T) {
	t.Helper()
	if os.Getenv("DOCKER_HOST") == "" {
		if _, err := os.Stat("/var/run/docker.sock"); err != nil {
			t.Skipf("no Docker engine: %v", err)
		}
	}
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		t.Skipf("no Docker engine: docker info: %v: %s", err, firstLine(out))
	}
	// Ryuk's image would have to be pulled, and this engine may have no
	// registry; CleanupContainer terminates what the test started instead.
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	// No override: Run must find the published ports by itself.
	unsetenv(t, "TESTCONTAINERS_HOST_OVERRIDE")
	if exec.Command("docker", "image", "inspect", annex.DefaultImage).Run() != nil {
		t.Logf("%s missing: make -C ../.. image", annex.DefaultImage)
		if out, err := exec.Command("make", "-C", "../..", "image").CombinedOutput(); err != nil {
			t.Fatalf("make image: %v\n%s", err, out)
		}
	}
}

// unsetenv removes an environment variable for the test (t.Setenv can only
// set one, and testcontainers reads an empty override as an address).
func unsetenv(t *testing.T, key string) {
	if old, ok := os.LookupEnv(key); ok {
		os.Unsetenv(key)
		t.Cleanup(func() { os.Setenv(key, old) })
	}
}

// TestRunFindsPublishedPorts: where the Docker engine publishes ports on
// 127.0.0.1 only (this process runs in a container, so testcontainers
// looks for them at the bridge's gateway), Run still starts the image
// without TESTCONTAINERS_HOST_OVERRIDE and every address it hands out answers.
func TestRunFindsPublishedPorts(t *testing.T) {
	requireDocker(t)
	if _, err := os.Stat("/.dockerenv"); err != nil {
		t.Skip("not in a container: testcontainers looks at localhost, which is right")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	loopbackOnly := testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
		hc.PortBindings = network.PortMap{}
		for _, p := range []string{annex.EnginePort, annex.ALMAPort, annex.ALEPHPort, annex.ALEPHNCIPPort, annex.SFTPPort} {
			hc.PortBindings[network.MustParsePort(p)] = []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "0"}}
		}
	})
	ctr, err := annex.Run(ctx, annex.DefaultImage, loopbackOnly)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatal(err)
	}
	for _, get := range []func(context.Context) (string, error){ctr.EngineURL, ctr.ALMAURL, ctr.ALEPHURL} {
		u := mustURL(t, ctx, get)
		resp, err := http.Get(u + "/healthz")
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s/healthz: %s", u, resp.Status)
		}
	}
	for _, get := range []func(context.Context) (string, error){ctr.SFTPAddr, ctr.ALEPHNCIPAddr} {
		a := mustURL(t, ctx, get)
		conn, err := net.DialTimeout("tcp", a, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		conn.Close()
	}
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// A whole ALMA flow from the host, through the container's published ports:
// ALMA's request file arrives by SFTP as the demo account, the engine
// accepts REQ-1, the floor retrieves the item and the engine's CheckOutItem
// reaches mock ALMA.
func TestALMAFlow(t *testing.T) {
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// A fault that never fires in this flow: it shows WithFaults reached the mock.
	const fault = `{"kind": "latency", "latency": "1ms", "service": "CheckInItem"}`
	ctr, err := annex.Run(ctx, annex.DefaultImage, annex.WithFaults("aleph", fault))
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatal(err)
	}
	engineURL := mustURL(t, ctx, ctr.EngineURL)
	almaURL := mustURL(t, ctx, ctr.ALMAURL)
	alephURL := mustURL(t, ctx, ctr.ALEPHURL)
	sftpAddr := mustURL(t, ctx, ctr.SFTPAddr)

	var faults []struct{ Kind, Service string }
	getJSON(t, ctx, alephURL+"/_sim/faults", &faults)
	if len(faults) != 1 || faults[0].Kind != "latency" || faults[0].Service != "CheckInItem" {
		t.Fatalf("mock ALEPH faults after WithFaults: %+v", faults)
	}

	// The file ALMA's export job writes, from the repository's fixtures.
	file, err := os.ReadFile("../../fixtures/requests/alma-REQ-1.xml")
	if err != nil {
		t.Fatal(err)
	}
	upload(t, sftpAddr, path.Join(annex.DemoSFTPDir, "rs_requests_REQ-1.xml"), file)

	// The SFTP server hands the file to the engine before it answers the
	// client's close, so the request is already there: no waiting.
	var list struct {
		Requests []struct{ ID, Status, Barcode string } `json:"requests"`
	}
	getJSON(t, ctx, engineURL+"/api/requests/v1", &list)
	var barcode string
	for _, r := range list.Requests {
		if r.ID == "REQ-1" && r.Status == "accepted" {
			barcode = r.Barcode
		}
	}
	if barcode == "" {
		t.Fatalf("REQ-1 not accepted: %+v", list.Requests)
	}

	post(t, ctx, engineURL+"/api/floor/v1/retrieve", fmt.Sprintf(`{"barcode":%q}`, barcode))

	// The outbox delivers after the retrieve's commit and the mocks offer no
	// blocking wait on the journal, so read it again on a short ticker until
	// the context's deadline.
	type exchange struct {
		Service  string   `json:"service"`
		Status   int      `json:"status"`
		Problems []string `json:"problems"`
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		var got []exchange
		getJSON(t, ctx, almaURL+"/_sim/journal?service=CheckOutItem", &got)
		if len(got) > 0 {
			if got[0].Status != http.StatusOK || len(got[0].Problems) > 0 {
				t.Fatalf("CheckOutItem reached mock ALMA but failed: %+v", got[0])
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no CheckOutItem in mock ALMA's journal: %v", ctx.Err())
		case <-tick.C:
		}
	}
}

func mustURL(t *testing.T, ctx context.Context, f func(context.Context) (string, error)) string {
	t.Helper()
	u, err := f(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// upload puts one file on the facility's SFTP server as the demo account.
func upload(t *testing.T, addr, name string, data []byte) {
	t.Helper()
	conn, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User: annex.DemoSFTPUser,
		Auth: []ssh.AuthMethod{ssh.Password(annex.DemoSFTPPass)},
		// Every container generates its own host key; there is nothing to pin.
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
	if err != nil {
		t.Fatalf("ssh %s: %v", addr, err)
	}
	defer conn.Close()
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatalf("sftp: %v", err)
	}
	defer c.Close()
	f, err := c.Create(name)
	if err != nil {
		t.Fatalf("sftp create %s: %v", name, err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatalf("sftp write %s: %v", name, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("sftp close %s: %v", name, err)
	}
}

func getJSON(t *testing.T, ctx context.Context, url string, v any) {
	t.Helper()
	do(t, ctx, http.MethodGet, url, "", v)
}

func post(t *testing.T, ctx context.Context, url, body string) {
	t.Helper()
	do(t, ctx, http.MethodPost, url, body, nil)
}

func do(t *testing.T, ctx context.Context, method, url, body string, v any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", annex.DemoFacilityKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: HTTP %d: %s", method, url, resp.StatusCode, data)
	}
	if v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, url, err, data)
		}
	}
}

// The options check what they can before any container exists.
func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  testcontainers.CustomizeRequestOption
		want string
	}{
		{"state of an unknown system", annex.WithState("koha", "state.yaml"), `system "koha"`},
		{"state file missing", annex.WithState("alma", "testdata/none.yaml"), "with state: open testdata/none.yaml"},
		{"faults not JSON", annex.WithFaults("alma", "{kind: latency"), "is not JSON"},
		{"config file missing", annex.WithConfig("testdata/none.yaml"), "with config:"},
		{"profile file missing", annex.WithProfile("testdata/none.yaml"), "with profile:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opt(&testcontainers.GenericContainerRequest{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// WithConfig and WithProfile put their files side by side in /config and
// append --config to the command the defaults set.
func TestWithConfig(t *testing.T) {
	req := &testcontainers.GenericContainerRequest{}
	req.Cmd = []string{"up", "--bind", "0.0.0.0", "--data", "/data"}
	for _, opt := range []testcontainers.CustomizeRequestOption{
		annex.WithConfig("../../fixtures/profiles/facility-demo.yaml"),
		annex.WithProfile("../../fixtures/profiles/alma-demo.yaml"),
		annex.WithDemoAuto(),
	} {
		if err := opt(req); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := strings.Join(req.Cmd, " "), "up --bind 0.0.0.0 --data /data --config /config/facility-demo.yaml --demo-auto"; got != want {
		t.Errorf("cmd %q, want %q", got, want)
	}
	var paths []string
	for _, f := range req.Files {
		paths = append(paths, f.ContainerFilePath)
	}
	if got, want := strings.Join(paths, " "), "/config/facility-demo.yaml /config/alma-demo.yaml"; got != want {
		t.Errorf("files %q, want %q", got, want)
	}
}
