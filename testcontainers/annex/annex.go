// Package annex runs the annex image (the facility engine, its SFTP server,
// mock ALMA and mock ALEPH) as a container for Go tests, in the shape of the
// testcontainers-go modules: Run(ctx, image, options...), defaults first and
// the caller's options last.
//
// It is a Go module of its own so that testcontainers-go and the Docker
// client stay out of the annex binary and out of the main module's go.sum.
// The image is built by `make image` in the repository (annex:dev); it needs
// no registry.
package annex

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// DefaultImage is what `make image` tags.
const DefaultImage = "annex:dev"

// The container's ports (annex up's defaults, bound to 0.0.0.0 by the image's CMD).
const (
	EnginePort    = "7700/tcp" // facility engine: REST API under /api, /healthz
	ALMAPort      = "7701/tcp" // mock ALMA: NCIP 2 at /view/NCIPServlet, /_sim/
	ALEPHPort     = "7702/tcp" // mock ALEPH: NCIP 1 at /ncip, /_sim/
	ALEPHNCIPPort = "5991/tcp" // mock ALEPH's raw NCIP 1 port
	SFTPPort      = "2222/tcp" // the facility's SFTP server
)

// Demo credentials of the embedded demo configuration (demo values only).
const (
	DemoFacilityKey = "demo-facility-key" // X-API-Key of the floor operations
	DemoSFTPUser    = "alma"
	DemoSFTPPass    = "alma-demo"
	DemoSFTPDir     = "01ANNEX_INST/requests" // where ALMA's request files go
)

// readyLine is what annex up prints when it is ready.
const readyLine = "ready; interrupt to stop"

// dataDir is the image's writable data directory.
const dataDir = "/data"

// Container is a running annex container.
type Container struct {
	testcontainers.Container
}

// Run starts the image (DefaultImage when img is empty) with the embedded
// demo configuration unless WithConfig says otherwise, waits until the
// engine answers /healthz, then applies WithState and WithFaults in the
// order given. On an error after the container was created it returns the
// container too, so the caller can terminate it (testcontainers.CleanupContainer).
func Run(ctx context.Context, img string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	if img == "" {
		img = DefaultImage
	}
	defaults := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(EnginePort, ALMAPort, ALEPHPort, ALEPHNCIPPort, SFTPPort),
		// The image's CMD, spelled out so that options can append flags to it.
		testcontainers.WithCmd("up", "--bind", "0.0.0.0", "--data", dataDir),
		// annex up prints its ready line once every party listens. Waiting on
		// the log, not on an HTTP probe, needs no guess of where the host
		// reaches published ports (see reachableHost).
		testcontainers.WithWaitStrategy(wait.ForLog(readyLine).WithStartupTimeout(60 * time.Second)),
	}
	ctr, err := testcontainers.Run(ctx, img, append(defaults, opts...)...)
	var c *Container
	if ctr != nil {
		c = &Container{Container: ctr}
	}
	if err != nil {
		return c, fmt.Errorf("run annex: %w", err)
	}
	return c, nil
}

// EngineURL is the facility engine's base URL, http://HOST:PORT; the REST
// API is under /api and the health probe at /healthz.
func (c *Container) EngineURL(ctx context.Context) (string, error) {
	return c.httpURL(ctx, EnginePort)
}

// ALMAURL is mock ALMA's base URL: the /_sim/ inspection API and /healthz.
func (c *Container) ALMAURL(ctx context.Context) (string, error) {
	return c.httpURL(ctx, ALMAPort)
}

// ALMANCIPURL is mock ALMA's NCIP 2 endpoint.
func (c *Container) ALMANCIPURL(ctx context.Context) (string, error) {
	u, err := c.ALMAURL(ctx)
	if err != nil {
		return "", err
	}
	return u + "/view/NCIPServlet", nil
}

// ALEPHURL is mock ALEPH's HTTP base URL: NCIP 1 at /ncip, /_sim/ and /healthz.
func (c *Container) ALEPHURL(ctx context.Context) (string, error) {
	return c.httpURL(ctx, ALEPHPort)
}

// ALEPHNCIPAddr is mock ALEPH's raw NCIP 1 TCP port as HOST:PORT.
func (c *Container) ALEPHNCIPAddr(ctx context.Context) (string, error) {
	return c.addr(ctx, ALEPHNCIPPort)
}

// SFTPAddr is the facility's SFTP server as HOST:PORT.
func (c *Container) SFTPAddr(ctx context.Context) (string, error) {
	return c.addr(ctx, SFTPPort)
}

func (c *Container) httpURL(ctx context.Context, port string) (string, error) {
	a, err := c.addr(ctx, port)
	if err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "http", Host: a}).String(), nil
}

func (c *Container) addr(ctx context.Context, port string) (string, error) {
	return hostPort(ctx, c.Container, port)
}

// hostPort is where the host reaches a container port; the lifecycle hooks
// use it before a *Container exists.
func hostPort(ctx context.Context, ctr testcontainers.Container, port string) (string, error) {
	host, err := reachableHost(ctx, ctr)
	if err != nil {
		return "", fmt.Errorf("annex %s: %w", port, err)
	}
	mapped, err := ctr.MappedPort(ctx, port)
	if err != nil {
		return "", fmt.Errorf("annex %s: mapped port: %w", port, err)
	}
	return net.JoinHostPort(host, mapped.Port()), nil
}

// hostOverride is testcontainers' own setting for the address of published ports.
const hostOverride = "TESTCONTAINERS_HOST_OVERRIDE"

// reachableHost is the address at which this process reaches the
// container's published ports. testcontainers' answer is right on a plain
// host, but inside a container (a CI job, a dev container) it guesses the
// default gateway, where a Docker engine sharing this network namespace
// publishes nothing: then 127.0.0.1 is the answer. The container is ready,
// so one connection to the engine's port tells.
func reachableHost(ctx context.Context, ctr testcontainers.Container) (string, error) {
	host, err := ctr.Host(ctx)
	if err != nil {
		return "", fmt.Errorf("host: %w", err)
	}
	// "localhost" may resolve to ::1 first while Docker publishes on IPv4 only.
	if host == "localhost" {
		host = "127.0.0.1"
	}
	if os.Getenv(hostOverride) != "" {
		return host, nil // the user said where: no second guess
	}
	mapped, err := ctr.MappedPort(ctx, EnginePort)
	if err != nil {
		return "", fmt.Errorf("mapped port: %w", err)
	}
	candidates := []string{host}
	if host != "127.0.0.1" {
		candidates = append(candidates, "127.0.0.1")
	}
	var d net.Dialer
	for _, h := range candidates {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := d.DialContext(dctx, "tcp", net.JoinHostPort(h, mapped.Port()))
		cancel()
		if err == nil {
			conn.Close()
			return h, nil
		}
	}
	return "", fmt.Errorf("the container's published port %s answers neither at %s nor at 127.0.0.1; "+
		"set %s to the address where this Docker engine publishes ports", mapped.Port(), host, hostOverride)
}
