package annex

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"

	"github.com/testcontainers/testcontainers-go"
)

// configDir is where WithConfig and WithProfile put their files, side by
// side, because a facility file names its profiles relative to itself.
const configDir = "/config"

// WithConfig runs the facility side for a facility file of your own instead
// of the embedded demo: the file is copied to /config and passed as
// --config. It names its profiles relative to itself, so copy each one in
// with WithProfile under the same base name. `annex up --config` starts no
// mocks: ALMAURL and ALEPHURL then point at nothing, and the profiles must
// name library systems the container can reach. The file's listen address
// is rebound to 0.0.0.0 (its port kept), so EnginePort must stay 7700.
func WithConfig(facilityYAML string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		f, err := configFile(facilityYAML)
		if err != nil {
			return fmt.Errorf("with config: %w", err)
		}
		req.Files = append(req.Files, f)
		req.Cmd = append(req.Cmd, "--config", f.ContainerFilePath)
		return nil
	}
}

// WithProfile copies a library profile into /config, next to the facility
// file of WithConfig, which names it by its base name.
func WithProfile(hostPath string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		f, err := configFile(hostPath)
		if err != nil {
			return fmt.Errorf("with profile: %w", err)
		}
		req.Files = append(req.Files, f)
		return nil
	}
}

// configFile checks the file now, so a wrong path fails Run before any
// container is created rather than in the middle of its start.
func configFile(hostPath string) (testcontainers.ContainerFile, error) {
	abs, err := filepath.Abs(hostPath)
	if err != nil {
		return testcontainers.ContainerFile{}, err
	}
	if _, err := os.Stat(abs); err != nil {
		return testcontainers.ContainerFile{}, err
	}
	return testcontainers.ContainerFile{HostFilePath: abs, ContainerFilePath: path.Join(configDir, filepath.Base(abs)), FileMode: 0o644}, nil
}

// WithDemoAuto runs the demo on a timer (`annex up --demo-auto`): every few
// seconds ALMA exports and ALEPH posts their requests, and the facility
// retrieves what it accepted and refiles what it retrieved.
func WithDemoAuto() testcontainers.CustomizeRequestOption {
	return testcontainers.WithCmdArgs("--demo-auto")
}

// WithState replaces a mock's state ("alma" or "aleph") with the YAML or
// JSON document at yamlPath, by PUT /_sim/state once the container is ready.
func WithState(system, yamlPath string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		port, err := mockPort(system)
		if err != nil {
			return fmt.Errorf("with state: %w", err)
		}
		// Read now: a missing file should stop Run before it starts anything.
		doc, err := os.ReadFile(yamlPath)
		if err != nil {
			return fmt.Errorf("with state: %w", err)
		}
		return afterReady(req, func(ctx context.Context, ctr testcontainers.Container) error {
			if err := simCall(ctx, ctr, port, http.MethodPut, "/_sim/state", "application/yaml", doc); err != nil {
				return fmt.Errorf("with state %s %s: %w", system, yamlPath, err)
			}
			return nil
		})
	}
}

// WithFaults installs faults on a mock ("alma" or "aleph") by POST
// /_sim/faults once the container is ready; faultsJSON is one fault object
// or a list, as the /_sim/ API takes them.
func WithFaults(system, faultsJSON string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		port, err := mockPort(system)
		if err != nil {
			return fmt.Errorf("with faults: %w", err)
		}
		if !json.Valid([]byte(faultsJSON)) {
			return fmt.Errorf("with faults: %q is not JSON", faultsJSON)
		}
		return afterReady(req, func(ctx context.Context, ctr testcontainers.Container) error {
			if err := simCall(ctx, ctr, port, http.MethodPost, "/_sim/faults", "application/json", []byte(faultsJSON)); err != nil {
				return fmt.Errorf("with faults %s: %w", system, err)
			}
			return nil
		})
	}
}

func mockPort(system string) (string, error) {
	switch system {
	case "alma":
		return ALMAPort, nil
	case "aleph":
		return ALEPHPort, nil
	}
	return "", fmt.Errorf("system %q: want alma or aleph", system)
}

// afterReady runs hook once the wait strategy passed, so the mocks are
// listening; hooks run in the order their options were given.
func afterReady(req *testcontainers.GenericContainerRequest, hook testcontainers.ContainerHook) error {
	return testcontainers.WithAdditionalLifecycleHooks(testcontainers.ContainerLifecycleHooks{
		PostReadies: []testcontainers.ContainerHook{hook},
	})(req)
}

// simCall sends one request to a mock's /_sim/ API and wants a 2xx answer.
func simCall(ctx context.Context, ctr testcontainers.Container, port, method, p, contentType string, body []byte) error {
	addr, err := hostPort(ctx, ctr, port)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+p, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, p, resp.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
}
