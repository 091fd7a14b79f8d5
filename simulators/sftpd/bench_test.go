package sftpd

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// uploadFiles uploads n files of data over one SFTP session and waits for
// all n upload events.
func uploadFiles(tb testing.TB, ts *testServer, dir string, n int, data []byte) {
	c, _ := dialSFTP(tb, ts.Server, "")
	if err := c.Mkdir(dir); err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		put(tb, c, fmt.Sprintf("%s/request-%04d.xml", dir, i), data)
	}
	for range n {
		ts.nextUpload(tb)
	}
}

// TestUpload1000Files checks that a burst of uploads over one session
// produces exactly one event per file. The speed target is measured by
// BenchmarkUpload1000Files, not asserted here.
func TestUpload1000Files(t *testing.T) {
	ts := startTestServer(t, nil)
	start := time.Now()
	uploadFiles(t, ts, "burst", 1000, bytes.Repeat([]byte("x"), 1024))
	t.Logf("1000 files uploaded and reported in %v", time.Since(start))
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	if len(ts.uploads) != 0 {
		t.Errorf("%d extra events", len(ts.uploads))
	}
}

// BenchmarkUpload1000Files: 1,000 files of 1 KiB over one SFTP session,
// until all 1,000 OnUpload events have arrived. Target (DESIGN §3): ≤ 2 s.
func BenchmarkUpload1000Files(b *testing.B) {
	const files = 1000
	ts := startTestServer(b, nil)
	data := bytes.Repeat([]byte("x"), 1024)
	i := 0
	for b.Loop() {
		uploadFiles(b, ts, fmt.Sprintf("run-%d", i), files, data)
		i++
	}
	b.ReportMetric(float64(files*b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/1000files")
}
