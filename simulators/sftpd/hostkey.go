package sftpd

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"
)

// loadHostKey reads the PEM private key in file, generating an ed25519 key
// there first if the file does not exist, so a facility keeps its identity
// across restarts. An empty file name gives an ephemeral key.
func loadHostKey(file string) (gossh.Signer, error) {
	if file == "" {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate host key: %w", err)
		}
		return gossh.NewSignerFromKey(priv)
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		data, err = createHostKey(file)
	}
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	signer, err := gossh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("host key %s: %w", file, err)
	}
	return signer, nil
}

// createHostKey writes a new key under a temporary name and hard-links it
// into place, so a concurrent Start never reads half a key: whoever links
// first wins, and the loser reads the winner's key.
func createHostKey(file string) ([]byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "annex sftpd host key")
	if err != nil {
		return nil, fmt.Errorf("marshal: %w", err)
	}
	data := pem.EncodeToMemory(block)
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".hostkey-*")
	if err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file 0600 already; the key never exists with
	// wider permissions.
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	if err := os.Link(tmp.Name(), file); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return os.ReadFile(file)
		}
		return nil, fmt.Errorf("create: %w", err)
	}
	return data, nil
}
