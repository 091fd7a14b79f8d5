package smtp_test

import (
	"testing"

	"github.com/annexlab/annex/simulators/smtp"
)

// FuzzParse: any bytes given as a message are parsed or refused with an
// error, never a panic, and a parsed message has at most 64 parts.
func FuzzParse(f *testing.F) {
	f.Add([]byte("Subject: =?UTF-8?q?Pr=C3=BCfung?=\r\n\r\nhello\r\n"))
	f.Add([]byte("Content-Type: multipart/alternative; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\n--B\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPHA+aGk8L3A+\r\n--B--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := smtp.Parse(raw)
		if err == nil && len(p.Parts) > 64 {
			t.Fatalf("%d parts", len(p.Parts))
		}
	})
}

// FuzzDecodeFaults: a fault list is decoded into valid rules or refused.
func FuzzDecodeFaults(f *testing.F) {
	f.Add([]byte(`{"kind":"reject","code":451,"count":1}`))
	f.Add([]byte(`[{"kind":"drop","stage":"rcpt"},{"kind":"delay","latency":"1s"}]`))
	f.Add([]byte(`{"kind":"reject","cdoe":550}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := smtp.DecodeFaults(data)
		if err != nil {
			return
		}
		for _, fl := range list {
			if err := fl.Validate(); err != nil {
				t.Fatalf("decoded an invalid fault %+v: %v", fl, err)
			}
		}
	})
}

// FuzzParseConfig: any YAML is read as a valid configuration or refused.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("listen: 127.0.0.1:2525\ndomains: [library.example.edu]\nfaults:\n  - {kind: reject, code: 451, count: 1}\n"))
	f.Add([]byte("tls: true\nusername: u\npassword: p\njournal_max_bytes: 1048576\n"))
	f.Add([]byte("listn: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := smtp.ParseConfig("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, fl := range cfg.Faults {
			if err := fl.Validate(); err != nil {
				t.Fatalf("accepted an invalid fault %+v: %v", fl, err)
			}
		}
	})
}
