package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/simulators/smtp"
)

// ExpectEmail checks the alert emails the mail catcher received (issue
// 15). It waits on the catcher for the messages to arrive, never on a
// timer: up to Within (default: the step's timeout).
type ExpectEmail struct {
	// To is a recipient every matching message was addressed to (envelope).
	To string `yaml:"to"`
	// Subject and Body are substrings of the subject and of a text part.
	Subject string `yaml:"subject"`
	Body    string `yaml:"body"`
	// Count is how many messages must match, exactly, once the engine owes
	// no more email (nil: at least one; 0: none).
	Count *int `yaml:"count"`
	// Within bounds the wait for the messages, e.g. 2s.
	Within string `yaml:"within"`

	within time.Duration
}

// Validate implements scenario.Validator.
func (x *ExpectEmail) Validate() error {
	if x.Count != nil && *x.Count < 0 {
		return fmt.Errorf("count: %d is negative", *x.Count)
	}
	if x.Within != "" {
		d, err := time.ParseDuration(x.Within)
		if err != nil || d <= 0 {
			return fmt.Errorf("within: %q is not a positive duration (want e.g. 2s)", x.Within)
		}
		x.within = d
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectEmail) Run(ctx context.Context, env *scenario.Env) error {
	c := env.World.Mail
	if c == nil {
		return scenario.Failf("expect.email: no mail catcher runs: no profile has alerts.email")
	}
	if x.within > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, x.within)
		defer cancel()
	}
	f := smtp.Filter{To: x.To, SubjectContains: x.Subject, BodyContains: x.Body}
	want := 1
	if x.Count != nil {
		want = *x.Count
	}
	got, err := c.Wait(ctx, f, want)
	if err == nil && x.Count != nil {
		// Exactly Count: once the engine owes no more email, no more may match.
		if err = env.World.Engine.WaitMailIdle(ctx); err == nil {
			got, _ = c.Wait(ctx, f, 0)
		}
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return scenario.Failf("expect.email: %v", err)
	}
	if (x.Count == nil && got >= 1) || (x.Count != nil && got == *x.Count && err == nil) {
		return nil
	}
	var caught []string
	for _, m := range c.Messages(0, 50, smtp.Filter{}) {
		caught = append(caught, fmt.Sprintf("%s → %s", m.Subject, strings.Join(m.To, ", ")))
	}
	desc := fmt.Sprintf("to %q, subject containing %q, body containing %q", x.To, x.Subject, x.Body)
	msg := fmt.Sprintf("expect.email: %d messages %s, want at least 1", got, desc)
	if x.Count != nil {
		msg = fmt.Sprintf("expect.email: %d messages %s, want %d", got, desc, *x.Count)
	}
	if err != nil {
		msg += " (waited until the step's time ran out)"
	}
	return &scenario.Failure{Msg: msg, Diff: "caught:\n  " + strings.Join(caught, "\n  ")}
}
