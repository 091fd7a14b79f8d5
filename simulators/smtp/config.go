package smtp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// LoadConfig reads a catcher configuration from YAML; an unknown key or an
// invalid fault is an error naming the file and line.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("load smtp config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig reads a catcher configuration from YAML bytes; file names them in errors.
func ParseConfig(file string, data []byte) (Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("load smtp config: %s: %w", file, err)
	}
	for i, f := range cfg.Faults {
		if err := f.Validate(); err != nil {
			return Config{}, fmt.Errorf("load smtp config: %s: faults[%d]: %w", file, i, err)
		}
	}
	if cfg.MaxMessageBytes < 0 || cfg.JournalMax < 0 || cfg.JournalMaxBytes < 0 {
		return Config{}, fmt.Errorf("load smtp config: %s: max_message_bytes, journal_max and journal_max_bytes must not be negative", file)
	}
	return cfg, nil
}
