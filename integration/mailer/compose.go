package mailer

import (
	"fmt"
	"html"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/annexlab/annex/integration/intake"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
)

// verbs name each alert kind in a subject line, for support staff to filter on.
var verbs = map[string]string{
	store.AlertDenial:          "denied",
	store.AlertFulfilment:      "fulfilled",
	store.AlertNCIPProblem:     "NCIP problem",
	store.AlertRejectedFile:    "file rejected",
	store.AlertDeliveryFailure: "delivery failure",
	store.AlertHeldFile:        "file held",
}

// MessageID is the Message-ID (without angle brackets) of the message a
// batch is sent as: derived from its first alert's id, the profile and the
// sender's domain, so every attempt at one message, before or after a
// crash, carries the same id and a duplicate is recognisable.
func MessageID(batch int64, profileName, from string) string {
	domain := "annex.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		domain = from[i+1:]
	}
	return fmt.Sprintf("annex-alert-%d.%s@%s", batch, strings.ReplaceAll(profileName, "@", "_"), domain)
}

// Subject is the subject line of a message: one alert's
// "[annex] denied: REQ-1 39015000000001 Invalid Stop Code", or a digest's count.
func Subject(m store.MailMessage) string {
	if len(m.Alerts) == 1 {
		a := m.Alerts[0]
		parts := []string{}
		for _, s := range []string{a.RequestID, a.Barcode, m.Mail[0].Summary} {
			if s = strings.TrimSpace(s); s != "" {
				parts = append(parts, s)
			}
		}
		return oneLine(fmt.Sprintf("[annex] %s: %s", verb(a.Kind), strings.Join(parts, " ")))
	}
	counts := map[string]int{}
	var order []string
	for _, a := range m.Alerts {
		if counts[a.Kind] == 0 {
			order = append(order, a.Kind)
		}
		counts[a.Kind]++
	}
	var parts []string
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], verb(k)))
	}
	return oneLine(fmt.Sprintf("[annex] digest %s: %d alerts (%s)", digestOf(m.Mail[0].Group), len(m.Alerts), strings.Join(parts, ", ")))
}

func verb(kind string) string {
	if v := verbs[kind]; v != "" {
		return v
	}
	return kind
}

// Digest groups (store.Mail.Group): the alerts of one request file, or of
// one floor batch (pick list).
const (
	groupFile  = "file:"
	groupFloor = "floor:"
)

// FileGroup is the digest group of the alerts about a claimed request file's requests.
func FileGroup(claimed string) string { return groupFile + claimed }

// FloorGroup is the digest group of the alerts that follow from one pick list.
func FloorGroup(batch string) string { return groupFloor + batch }

// digestOf names a digest's group for people: "file requests.xml",
// "floor batch BATCH".
func digestOf(group string) string {
	if claimed, ok := strings.CutPrefix(group, groupFile); ok {
		original, _ := intake.ParseClaimName(claimed)
		return "file " + original
	}
	if batch, ok := strings.CutPrefix(group, groupFloor); ok {
		return "floor batch " + batch
	}
	return group
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Compose builds the MIME message of a sealed batch: RFC 5322 headers, a
// text and an HTML alternative, UTF-8 throughout.
func Compose(m store.MailMessage, e *profile.Email) (*mail.Msg, error) {
	if len(m.Alerts) == 0 || len(m.Mail) == 0 {
		return nil, fmt.Errorf("compose %d: no alerts", m.Batch)
	}
	msg := mail.NewMsg(mail.WithCharset(mail.CharsetUTF8), mail.WithEncoding(mail.EncodingQP))
	if err := msg.From(e.From); err != nil {
		return nil, fmt.Errorf("compose %d: from: %w", m.Batch, err)
	}
	if err := msg.To(e.To...); err != nil {
		return nil, fmt.Errorf("compose %d: to: %w", m.Batch, err)
	}
	if len(e.Cc) > 0 {
		if err := msg.Cc(e.Cc...); err != nil {
			return nil, fmt.Errorf("compose %d: cc: %w", m.Batch, err)
		}
	}
	msg.Subject(Subject(m))
	msg.SetMessageIDWithValue(MessageID(m.Batch, m.Mail[0].Profile, e.From))
	// The Date is the first alert's, not the attempt's: a resend is the same message.
	msg.SetDateWithValue(m.Alerts[0].Time)
	msg.SetGenHeader(mail.HeaderXMailer, "annex")
	ids := make([]string, len(m.Alerts))
	for i, a := range m.Alerts {
		ids[i] = fmt.Sprint(a.ID)
	}
	msg.SetGenHeader("X-Annex-Alert-Ids", strings.Join(ids, " "))
	msg.SetGenHeader("X-Annex-Profile", m.Mail[0].Profile)
	msg.SetBodyString(mail.TypeTextPlain, textBody(m))
	msg.AddAlternativeString(mail.TypeTextHTML, htmlBody(m))
	return msg, nil
}

func textBody(m store.MailMessage) string {
	var b strings.Builder
	p := m.Mail[0].Profile
	if len(m.Alerts) == 1 {
		fmt.Fprintf(&b, "The facility raised an alert for the library connection %s.\n\n", p)
	} else {
		fmt.Fprintf(&b, "The facility raised %d alerts for the library connection %s (%s).\n\n", len(m.Alerts), p, digestOf(m.Mail[0].Group))
	}
	for _, a := range m.Alerts {
		fmt.Fprintf(&b, "%s  %s\n", a.Time.UTC().Format(time.RFC3339), verb(a.Kind))
		if a.RequestID != "" {
			fmt.Fprintf(&b, "  Request: %s\n", a.RequestID)
		}
		if a.Barcode != "" {
			fmt.Fprintf(&b, "  Item:    %s\n", a.Barcode)
		}
		fmt.Fprintf(&b, "  %s\n\n", a.Message)
	}
	b.WriteString("-- \nannex facility engine; the alerts are listed at /api/alerts/v1.\n")
	return b.String()
}

func htmlBody(m store.MailMessage) string {
	var b strings.Builder
	e := html.EscapeString
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
	b.WriteString(e(Subject(m)))
	b.WriteString("</title></head><body>\n")
	fmt.Fprintf(&b, "<p>%d alert(s) for the library connection <b>%s</b>.</p>\n", len(m.Alerts), e(m.Mail[0].Profile))
	b.WriteString("<table border=\"1\" cellpadding=\"4\">\n<tr><th>Time</th><th>Alert</th><th>Request</th><th>Item</th><th>Details</th></tr>\n")
	for _, a := range m.Alerts {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			e(a.Time.UTC().Format(time.RFC3339)), e(verb(a.Kind)), e(a.RequestID), e(a.Barcode), e(a.Message))
	}
	b.WriteString("</table>\n<p>annex facility engine; the alerts are listed at /api/alerts/v1.</p>\n</body></html>\n")
	return b.String()
}
