package profile

import "testing"

// alertsSection is appended to almaBase (28 lines): alerts starts on line 29.
const alertsSection = `alerts:
  email:
    to: [annex-staff@princeton.example.edu]
    cc: [circ@princeton.example.edu]
    from: annex@facility.example.edu
    kinds: [denial, fulfilment]
    grouping: event
`

const smtpSection = "smtp: {host: smtp.facility.example.edu, port: 587, security: starttls, username: annex, password: mail-secret}\n"

// TestAlertsChecks (issue 15): alerts.email and smtp: are checked with
// file:line:col, unknown values with a did-you-mean, the assumed grouping
// flagged until it is stated.
func TestAlertsChecks(t *testing.T) {
	const E, W = SeverityError, SeverityWarning
	base := almaBase + alertsSection
	if _, probs := ParseProfile("p.yaml", []byte(base)); len(probs) > 0 {
		t.Fatalf("base profile with alerts: %s", probs.Error())
	}
	cases := []struct {
		name, old, new string
		want           want
	}{
		{"bad address", "to: [annex-staff@princeton.example.edu]", "to: [annex-staff]", want{31, 10, "alerts.email.to[0]", E, `"annex-staff" is not an email address`}},
		{"display name", "from: annex@facility.example.edu", "from: Annex <annex@facility.example.edu>", want{33, 11, "alerts.email.from", E, "write the bare address annex@facility.example.edu"}},
		{"no recipient", "    to: [annex-staff@princeton.example.edu]\n", "", want{30, 3, "alerts.email.to", E, "at least one recipient"}},
		{"no sender", "    from: annex@facility.example.edu\n", "", want{30, 3, "alerts.email.from", E, "is required"}},
		{"unknown kind", "kinds: [denial, fulfilment]", "kinds: [denial, fulfillment]", want{34, 21, "alerts.email.kinds[1]", E, `unknown alert kind "fulfillment" (did you mean fulfilment?)`}},
		{"unknown grouping", "grouping: event", "grouping: per-file", want{35, 15, "alerts.email.grouping", E, `unknown grouping "per-file"`}},
		{"grouping assumed", "    grouping: event\n", "", want{30, 3, "alerts.email", W, "grouping is not set: assumed event"}},
		{"unknown key", "    cc:", "    bcc:", want{32, 5, "alerts.email.bcc", E, "did you mean cc?"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := ParseProfile("p.yaml", []byte(edit(t, base, tc.old, tc.new)))
			find(t, probs, tc.want)
		})
	}
}

// TestSMTPChecks: the facility's mail server, and a profile that wants
// email from a facility without one.
func TestSMTPChecks(t *testing.T) {
	const E, W = SeverityError, SeverityWarning
	files := map[string]string{"alma.yaml": almaBase + alertsSection, "aleph.yaml": alephBase}
	if _, _, probs := parseFacility(t, facilityBase+smtpSection, files); len(probs) > 0 {
		t.Fatalf("base facility with smtp: %s", probs.Error())
	}
	_, _, probs := parseFacility(t, facilityBase, files)
	find(t, probs, want{30, 3, "alerts.email", E, "the facility has no smtp: section"})
	cases := []struct {
		name, old, new string
		want           want
	}{
		{"security", "security: starttls", "security: startls", want{13, 62, "smtp.security", E, `unknown security "startls" (did you mean starttls?)`}},
		{"port", "port: 587", "port: 70000", want{13, 47, "smtp.port", E, "70000 is not a port"}},
		{"no host", "host: smtp.facility.example.edu, ", "", want{13, 1, "smtp.host", E, "is required"}},
		{"half auth", ", username: annex", "", want{13, 1, "smtp", E, "username and password go together"}},
		{"plain password", "security: starttls", "security: none", want{13, 62, "smtp.security", W, "sends the SMTP password unencrypted"}},
		{"unknown key", "port: 587", "prot: 587", want{13, 41, "smtp.prot", E, "did you mean port?"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, probs := parseFacility(t, facilityBase+edit(t, smtpSection, tc.old, tc.new), files)
			find(t, probs, tc.want)
		})
	}
}
