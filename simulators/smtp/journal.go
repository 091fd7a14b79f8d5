package smtp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/annexlab/annex/internal/broadcast"
)

// Message is one message the catcher accepted.
type Message struct {
	ID         int64     `json:"id"`
	Received   time.Time `json:"received"`
	RemoteAddr string    `json:"remote_addr"`
	// From and To are the envelope (MAIL FROM, RCPT TO).
	From string   `json:"from"`
	To   []string `json:"to"`
	// Subject (decoded), MessageID and Date come from the headers.
	Subject   string `json:"subject"`
	MessageID string `json:"message_id"`
	Date      string `json:"date"`
	Size      int    `json:"size"`
	Raw       []byte `json:"-"`
}

// journal keeps the latest messages, bounded by count and by bytes: the
// oldest go first, so the catcher's memory is bounded by its journal.
type journal struct {
	mu       sync.Mutex
	msgs     []*Message
	bytes    int64
	maxCount int
	maxBytes int64
	nextID   int64
	evicted  int64
	changed  broadcast.Signal // notified on every change

	// dedup keeps one message per Message-ID (Mailpit's
	// --ignore-duplicate-ids): ids counts the journal's messages by it.
	dedup      bool
	ids        map[string]int
	duplicates int64
}

func newJournal(maxCount int, maxBytes int64, dedup bool) *journal {
	return &journal{maxCount: maxCount, maxBytes: maxBytes, nextID: 1, dedup: dedup, ids: map[string]int{}}
}

func (j *journal) forgetLocked(m *Message) {
	if m.MessageID == "" {
		return
	}
	if j.ids[m.MessageID]--; j.ids[m.MessageID] <= 0 {
		delete(j.ids, m.MessageID)
	}
}

func (j *journal) notifyLocked() {
	j.changed.Notify()
}

// add keeps m, unless the journal dedups and already holds its Message-ID;
// it reports whether m was kept.
func (j *journal) add(m *Message) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.dedup && m.MessageID != "" && j.ids[m.MessageID] > 0 {
		j.duplicates++
		j.notifyLocked()
		return false
	}
	if m.MessageID != "" {
		j.ids[m.MessageID]++
	}
	m.ID = j.nextID
	j.nextID++
	j.msgs = append(j.msgs, m)
	j.bytes += int64(len(m.Raw))
	for len(j.msgs) > 1 && (len(j.msgs) > j.maxCount || j.bytes > j.maxBytes) {
		j.bytes -= int64(len(j.msgs[0].Raw))
		j.forgetLocked(j.msgs[0])
		j.msgs[0] = nil
		j.msgs = j.msgs[1:]
		j.evicted++
	}
	if cap(j.msgs) > 4*len(j.msgs)+64 {
		// Re-slicing from the front keeps the old backing array; copy it
		// down so evicted slots do not pin memory.
		j.msgs = append([]*Message(nil), j.msgs...)
	}
	j.notifyLocked()
	return true
}

// Filter selects messages by recipient and subject/body text (all optional).
type Filter struct {
	To              string
	SubjectContains string
	BodyContains    string
	MessageID       string
}

func (f Filter) match(m *Message) bool {
	if f.To != "" {
		found := false
		for _, t := range m.To {
			if strings.EqualFold(t, f.To) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	if f.SubjectContains != "" && !strings.Contains(m.Subject, f.SubjectContains) {
		return false
	}
	if f.MessageID != "" && strings.Trim(m.MessageID, "<>") != strings.Trim(f.MessageID, "<>") {
		return false
	}
	if f.BodyContains != "" {
		p, err := Parse(m.Raw)
		if err != nil {
			return false
		}
		found := false
		for _, part := range p.Parts {
			if strings.Contains(part.Body, f.BodyContains) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// list returns up to limit messages after id after that match f.
func (j *journal) list(after int64, limit int, f Filter) (out []Message, more bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, m := range j.msgs {
		if m.ID <= after || !f.match(m) {
			continue
		}
		if len(out) == limit {
			return out, true
		}
		out = append(out, *m)
	}
	return out, false
}

// count counts the messages that match f, and returns the channel closed at the next change.
func (j *journal) count(f Filter) (int, <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for _, m := range j.msgs {
		if f.match(m) {
			n++
		}
	}
	return n, j.changed.C()
}

func (j *journal) get(id int64) (*Message, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, m := range j.msgs {
		if m.ID == id {
			return m, true
		}
	}
	return nil, false
}

func (j *journal) remove(id int64) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i, m := range j.msgs {
		if m.ID == id {
			j.bytes -= int64(len(m.Raw))
			j.forgetLocked(m)
			j.msgs = append(j.msgs[:i:i], j.msgs[i+1:]...)
			j.notifyLocked()
			return true
		}
	}
	return false
}

func (j *journal) reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.msgs, j.bytes, j.ids = nil, 0, map[string]int{}
	j.notifyLocked()
}

// Stats are the journal's counters.
type Stats struct {
	Messages int   `json:"messages"`
	Bytes    int64 `json:"bytes"`
	Evicted  int64 `json:"evicted"`
	// Duplicates counts messages taken (250) but not kept because the
	// journal already held their Message-ID (IgnoreDuplicateIDs).
	Duplicates int64 `json:"duplicates"`
	MaxCount   int   `json:"max_count"`
	MaxBytes   int64 `json:"max_bytes"`
}

func (j *journal) stats() Stats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return Stats{Messages: len(j.msgs), Bytes: j.bytes, Evicted: j.evicted, Duplicates: j.duplicates, MaxCount: j.maxCount, MaxBytes: j.maxBytes}
}

// Parsed is a message read as headers and decoded text parts.
type Parsed struct {
	Headers map[string][]string `json:"headers"`
	Subject string              `json:"subject"`
	Parts   []Part              `json:"parts"`
}

// Part is one leaf part, its body decoded to text.
type Part struct {
	ContentType string `json:"content_type"`
	Charset     string `json:"charset,omitempty"`
	Body        string `json:"body"`
}

// decodeHeader undoes RFC 2047 encoded words; a header it cannot decode is kept as written.
func decodeHeader(v string) string {
	var dec mime.WordDecoder
	if d, err := dec.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// maxParts bounds the leaf parts Parse reads, against hostile nesting.
const maxParts = 64

// Parse reads a raw RFC 5322 message: headers (the Subject decoded from
// RFC 2047) and its leaf parts, multipart/* walked, transfer encodings
// (quoted-printable, base64) undone.
func Parse(raw []byte) (Parsed, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Parsed{}, fmt.Errorf("parse message: %w", err)
	}
	p := Parsed{Headers: map[string][]string(msg.Header), Subject: decodeHeader(msg.Header.Get("Subject"))}
	err = walk(&p, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	return p, err
}

func walk(p *Parsed, ctype, cte string, body io.Reader, depth int) error {
	if ctype == "" {
		ctype = "text/plain; charset=us-ascii"
	}
	media, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("parse message: content type %q: %w", ctype, err)
	}
	if strings.HasPrefix(media, "multipart/") {
		if depth > 8 {
			return errors.New("parse message: multipart nested more than 8 deep")
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("parse message: %w", err)
			}
			if err := walk(p, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part, depth+1); err != nil {
				return err
			}
		}
	}
	if len(p.Parts) >= maxParts {
		return fmt.Errorf("parse message: more than %d parts", maxParts)
	}
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &crlfStripper{r: body})
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("parse message: %s part: %w", media, err)
	}
	p.Parts = append(p.Parts, Part{ContentType: media, Charset: params["charset"], Body: string(data)})
	return nil
}

// crlfStripper drops line breaks from base64 text.
type crlfStripper struct{ r io.Reader }

func (c *crlfStripper) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	out := b[:0]
	for _, x := range b[:n] {
		if x != '\r' && x != '\n' {
			out = append(out, x)
		}
	}
	return len(out), err
}
