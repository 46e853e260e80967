package checklist

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// String writes d the way a person would: "10m", "1h30m", "45s"; zero is "".
func (d Duration) String() string {
	if d == 0 {
		return ""
	}
	s := time.Duration(d).String()
	// time.Duration prints 10m as "10m0s" and 1h as "1h0m0s"; drop the zero units.
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ParseDuration reads a Go duration such as "10m"; "" is zero.
func ParseDuration(s string) (Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want a Go duration like \"10m\" or \"1h30m\"", s)
	}
	return Duration(d), nil
}

// MarshalJSON writes d as a string like "10m".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a string like "10m"; "" and null are zero.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = 0
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"10m\": %w", err)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes d as a string like "10m".
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML reads a string like "10m".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: duration must be a string like \"10m\"", n.Line)
	}
	if n.ShortTag() == "!!null" {
		*d = 0
		return nil
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// EffectiveTimeout is the check's timeout, or DefaultCheckTimeout when none is set.
func (c *Check) EffectiveTimeout() time.Duration {
	if c == nil || c.Timeout <= 0 {
		return DefaultCheckTimeout
	}
	return time.Duration(c.Timeout)
}
