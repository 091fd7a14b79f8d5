package faults

import (
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// NoAnswer is the name of NoAnswerFault.
const NoAnswer = "no-answer"

// NoAnswerFault never answers; the connection stays open until the client gives up.
type NoAnswerFault struct {
	noFields `yaml:"-"`
}

func (builtin) NoAnswer() Kind { return NoAnswerFault{} }

// Name implements Kind.
func (NoAnswerFault) Name() string { return NoAnswer }

// Effect implements Kind.
func (NoAnswerFault) Effect() Effect { return Withholds }

// HTTP implements Kind: net/http ends ctx when the client goes.
func (NoAnswerFault) HTTP(ctx context.Context, _ http.ResponseWriter, _ Reply) (int, []byte, error) {
	<-ctx.Done()
	return 0, nil, ctx.Err()
}

// Conn implements Kind: it reads (and drops) what the client still sends
// until the client closes, which is how a raw socket tells it gave up.
func (NoAnswerFault) Conn(ctx context.Context, conn net.Conn, _ Reply) (int, []byte, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conn.SetReadDeadline(time.Time{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(io.Discard, conn)
		cancel()
	}()
	<-ctx.Done()
	conn.Close()
	<-done
	return 0, nil, ctx.Err()
}
