package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startUp runs `annex up` on ephemeral ports and returns its printed
// endpoints once it says it is ready, and a stop function that returns its exit code.
func startUp(t *testing.T, dir string) (map[string]string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"up", "--data", dir, "--engine", "127.0.0.1:0", "--alma", "127.0.0.1:0", "--aleph", "127.0.0.1:0",
			"--aleph-port", "127.0.0.1:0", "--sftp", "127.0.0.1:0", "--mail", "127.0.0.1:0", "--mail-api", "127.0.0.1:0"}, strings.NewReader(""), pw, io.Discard)
		pw.Close()
		done <- code
	}()
	endpoints := map[string]string{}
	url := regexp.MustCompile(`(https?://|)127\.0\.0\.1:\d+(/[^\s]*)?`)
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "ready") {
			break
		}
		if m := url.FindString(line); m != "" {
			key := strings.Join(strings.Fields(line)[:2], " ")
			endpoints[key] = m
		}
	}
	go io.Copy(io.Discard, pr)
	if len(endpoints) < 5 {
		cancel()
		t.Fatalf("annex up printed %v before ready", endpoints)
	}
	return endpoints, func() int { cancel(); return <-done }
}

// `annex up` starts the demo: an external client (curl) gets an NCIP answer
// from mock ALMA, ALMA's export job pushes its file through the real SFTP
// server, and an interrupt shuts everything down cleanly.
func TestUpDemo(t *testing.T) {
	dir := t.TempDir()
	ep, stop := startUp(t, dir)
	almaNCIP := ep["mock ALMA"]
	if !strings.HasSuffix(almaNCIP, "/view/NCIPServlet") {
		t.Fatalf("mock ALMA endpoint %q (all: %v)", almaNCIP, ep)
	}

	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl not found: run `make test`, which installs it")
	}
	out, err := exec.Command(curl, "-sS", "-H", "Content-Type: text/xml", "--data-binary", "@"+filepath.Join(corpus, "v2/circill/CheckInItem.xml"), almaNCIP).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "CheckInItemResponse") {
		t.Fatalf("curl to mock ALMA: %v\n%s", err, out)
	}

	inspect := strings.TrimSuffix(almaNCIP, "/view/NCIPServlet")
	resp, err := http.Post(inspect+"/_sim/export", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		File     string `json:"file"`
		Requests int    `json:"requests"`
		Error    string `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	// The demo's two holds and the working day's twelve requests (issue 10).
	if res.Error != "" || res.Requests != 14 || res.File == "" {
		t.Fatalf("export: %+v (HTTP %d)", res, resp.StatusCode)
	}
	// The SFTP server hands each upload to the engine before the client's
	// close returns, so once the export has answered the requests are in.
	req, _ := http.NewRequest(http.MethodGet, ep["facility engine"]+"requests/v1", nil)
	req.Header.Set("X-API-Key", "demo-facility-key")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Requests []struct{ ID, Status string }
	}
	json.NewDecoder(resp.Body).Decode(&list)
	rows := list.Requests
	resp.Body.Close()
	status := map[string]string{}
	for _, r := range rows {
		status[r.ID] = r.Status
	}
	// Every request type of the working day is decided as the facility
	// would: physical for two libraries, personal delivery, resource
	// sharing and the three digitization types accepted; the two title-level
	// citations and the item the facility does not hold denied.
	for _, id := range []string{"REQ-1", "REQ-2", "2410000010001", "2410000010002", "2410000010003", "2410000010004",
		"2410000010005", "2410000010006", "2410000010007", "2410000010011", "2410000010012"} {
		if status[id] != "accepted" {
			t.Errorf("request %s is %q, want accepted", id, status[id])
		}
	}
	for _, id := range []string{"2410000010008", "2410000010010", "2410000010013"} {
		if status[id] != "denied" {
			t.Errorf("request %s is %q, want denied", id, status[id])
		}
	}
	if t.Failed() {
		t.Fatalf("requests after the export: %+v", rows)
	}

	// The demo emails its alerts to the mail catcher: retrieving REQ-1's
	// item fulfils it, and the fulfilment email arrives (long poll, no sleep).
	req, _ = http.NewRequest(http.MethodPost, ep["facility engine"]+"floor/v1/retrieve", strings.NewReader(`{"barcode":"39015000000001"}`))
	req.Header.Set("X-API-Key", "demo-facility-key")
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("retrieve: %v %v", resp, err)
	}
	resp.Body.Close()
	var mailAPI string
	for _, v := range ep {
		if strings.HasSuffix(v, "/_sim/mail") {
			mailAPI = v
		}
	}
	if ep["mail catcher"] == "" || mailAPI == "" {
		t.Fatalf("annex up printed no mail catcher: %v", ep)
	}
	resp, err = http.Get(mailAPI + "?subject=fulfilled&min=1&wait=10s")
	if err != nil {
		t.Fatal(err)
	}
	var caught []struct {
		Subject string   `json:"subject"`
		To      []string `json:"to"`
	}
	json.NewDecoder(resp.Body).Decode(&caught)
	resp.Body.Close()
	if len(caught) != 1 || caught[0].Subject != "[annex] fulfilled: REQ-1 39015000000001 retrieved" || caught[0].To[0] != "annex-staff@alma-demo.library.example.edu" {
		t.Errorf("caught %+v; want REQ-1's fulfilment email to the demo staff", caught)
	}

	// The demo facility's inventory carries bibliographic data (issue 12
	// point 6), so a title search and an item's info answer with it.
	search, _ := http.NewRequest(http.MethodPost, ep["facility engine"]+"union_title/v1", strings.NewReader(`{"title":"shelving"}`))
	search.Header.Set("X-API-Key", "demo-facility-key")
	resp, err = http.DefaultClient.Do(search)
	if err != nil {
		t.Fatal(err)
	}
	var found struct {
		Items []struct {
			Barcode string `json:"barcode"`
			Title   string `json:"title"`
		} `json:"items"`
	}
	json.NewDecoder(resp.Body).Decode(&found)
	resp.Body.Close()
	if len(found.Items) != 1 || found.Items[0].Barcode != "39015000000003" || found.Items[0].Title != "A History of Shelving" {
		t.Errorf("union_title \"shelving\" on the demo: %+v", found.Items)
	}

	c := http.Client{Timeout: 5 * time.Second}
	for _, key := range []string{"mock ALEPH"} {
		r, err := c.Get(strings.TrimSuffix(ep[key], "/ncip") + "/healthz")
		if err != nil || r.StatusCode != http.StatusOK {
			t.Errorf("%s healthz: %v", key, err)
		}
	}
	if code := stop(); code != exitOK {
		t.Errorf("annex up exited %d after interrupt", code)
	}
}
