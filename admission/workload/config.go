package workload

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gatehq/gate/pkg/admit"
	"github.com/gatehq/gate/pkg/config"
	"go.yaml.in/yaml/v3"
)

// Mode says what the webhook does with an image that is not blessed.
type Mode string

const (
	// Enforce refuses the workload.
	Enforce Mode = "enforce"
	// Warn admits it, and returns the reasons as warnings that kubectl prints.
	Warn Mode = "warn"
)

// Defaults of the webhook config, and why.
const (
	// DefaultNamespaceLabel is the label a namespace opts in with, set to "true".
	DefaultNamespaceLabel = "gatehq.dev/guard"
	// DefaultEnvironmentLabel names a namespace's environment when the config does not.
	DefaultEnvironmentLabel = "gatehq.dev/environment"
	// DefaultBreakGlassAnnotation holds the reason a workload is admitted although denied.
	DefaultBreakGlassAnnotation = "gatehq.dev/break-glass"
	// DefaultDeadline is when the webhook answers at the latest. The shipped webhook
	// configurations give the API server a 10 s timeout; 8 s leaves it time to hear the
	// answer, so a slow registry is reported as such rather than as a timed-out webhook.
	DefaultDeadline = 8 * time.Second
	// maxDeadline is below the API server's own limit for a webhook's timeoutSeconds (30).
	maxDeadline = 29 * time.Second
	// maxConfigSize bounds the webhook config: a page of YAML.
	maxConfigSize = 1 << 20
	// DefaultReverifyInterval is how often the images of running Pods are decided again: an
	// approval that expires or a NOGO signed after admission is reported within it, while a
	// cluster running 300 distinct images costs its registries one verification a second per
	// replica.
	DefaultReverifyInterval = 5 * time.Minute
)

// Config is the webhook config file (webhook.yaml). Trust and policy stay in gate's trust
// config; this file says where and how they apply.
type Config struct {
	// NamespaceLabel is the label (with the value "true") a namespace opts in with.
	NamespaceLabel string `yaml:"namespaceLabel"`
	// EnvironmentLabel, on a namespace, names its environment unless Namespaces does.
	EnvironmentLabel string `yaml:"environmentLabel"`
	// Namespaces gives a namespace its environment and mode. It opts nothing in.
	Namespaces map[string]NamespaceConfig `yaml:"namespaces"`
	// DefaultEnvironment applies where nothing names one; "" is the trust config's default.
	DefaultEnvironment string `yaml:"defaultEnvironment"`
	// Mode is enforce (the default) or warn.
	Mode Mode `yaml:"mode"`
	// PinDigests, true by default, rewrites an image given by tag to the digest verified.
	PinDigests *bool `yaml:"pinDigests"`
	// Deadline is when the webhook answers at the latest: keep it below the webhook
	// configurations' timeoutSeconds.
	Deadline time.Duration `yaml:"deadline"`
	// BreakGlass says where an annotated workload is admitted although denied.
	BreakGlass BreakGlass `yaml:"breakGlass"`
	// Cache bounds the decisions kept.
	Cache CacheConfig `yaml:"cache"`
	// Reverify says how often the images of running Pods are decided again.
	Reverify ReverifyConfig `yaml:"reverify"`
	// Records, when set, is a file to which the record of every verification
	// is appended as a JSON line (see gate policy diff --records).
	Records string `yaml:"records"`
}

// NamespaceConfig is what one namespace gets.
type NamespaceConfig struct {
	Environment string `yaml:"environment"`
	Mode        Mode   `yaml:"mode"`
}

// BreakGlass is the emergency exit, closed unless Namespaces lists a namespace.
type BreakGlass struct {
	Namespaces []string `yaml:"namespaces"`
	Annotation string   `yaml:"annotation"`
}

// CacheConfig bounds the decision cache.
type CacheConfig struct {
	Size       int            `yaml:"size"`
	BlessedTTL *time.Duration `yaml:"blessedTTL"`
	DeniedTTL  *time.Duration `yaml:"deniedTTL"`
}

// ReverifyConfig is the re-verification of running Pods (admission's reverify.go).
type ReverifyConfig struct {
	// Interval between passes; nil is DefaultReverifyInterval, 0 turns re-verification off.
	Interval *time.Duration `yaml:"interval"`
}

// LoadConfig reads the webhook config at path and fills in the defaults; path "" is the
// defaults alone.
func LoadConfig(path string) (*Config, error) {
	c := &Config{}
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading webhook config: %w", err)
		}
		if len(raw) > maxConfigSize {
			return nil, fmt.Errorf("%s: larger than %d bytes", path, maxConfigSize)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) { // an empty file is the defaults
			return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
		}
	}
	if err := c.fill(); err != nil {
		if path == "" {
			path = "webhook config"
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func (c *Config) fill() error {
	if c.NamespaceLabel == "" {
		c.NamespaceLabel = DefaultNamespaceLabel
	}
	if c.EnvironmentLabel == "" {
		c.EnvironmentLabel = DefaultEnvironmentLabel
	}
	if c.BreakGlass.Annotation == "" {
		c.BreakGlass.Annotation = DefaultBreakGlassAnnotation
	}
	if c.Mode == "" {
		c.Mode = Enforce
	}
	if c.PinDigests == nil {
		pin := true
		c.PinDigests = &pin
	}
	if c.Deadline == 0 {
		c.Deadline = DefaultDeadline
	}
	if c.Cache.Size == 0 {
		c.Cache.Size = admit.DefaultCacheSize
	}
	if c.Cache.BlessedTTL == nil {
		d := admit.DefaultBlessedTTL
		c.Cache.BlessedTTL = &d
	}
	if c.Cache.DeniedTTL == nil {
		d := admit.DefaultDeniedTTL
		c.Cache.DeniedTTL = &d
	}
	if c.Reverify.Interval == nil {
		d := DefaultReverifyInterval
		c.Reverify.Interval = &d
	}
	if *c.Reverify.Interval < 0 {
		return fmt.Errorf("reverify.interval %s: must not be negative (0 turns re-verification off)", *c.Reverify.Interval)
	}
	if err := c.Mode.check("mode"); err != nil {
		return err
	}
	for ns, n := range c.Namespaces {
		if n.Mode != "" {
			if err := n.Mode.check("namespaces." + ns + ".mode"); err != nil {
				return err
			}
		}
	}
	if c.Deadline < 0 || c.Deadline > maxDeadline {
		return fmt.Errorf("deadline %s: must be positive and at most %s (the API server waits 30 s at most)", c.Deadline, maxDeadline)
	}
	if c.Cache.Size < 1 {
		return fmt.Errorf("cache.size %d: must be at least 1", c.Cache.Size)
	}
	if *c.Cache.BlessedTTL < 0 || *c.Cache.DeniedTTL < 0 {
		return errors.New("cache TTLs must not be negative")
	}
	return nil
}

func (m Mode) check(field string) error {
	if m != Enforce && m != Warn {
		return fmt.Errorf("%s %q: want %s or %s", field, m, Enforce, Warn)
	}
	return nil
}

// CheckAgainst reports environments this config names that trust does not have: they would
// refuse every workload of their namespaces.
func (c *Config) CheckAgainst(trust *config.Config) error {
	names := map[string]string{"defaultEnvironment": c.DefaultEnvironment}
	for ns, n := range c.Namespaces {
		names["namespaces."+ns+".environment"] = n.Environment
	}
	for _, field := range slices.Sorted(maps.Keys(names)) {
		if env := names[field]; env != "" {
			if _, err := trust.Environment(env); err != nil {
				return fmt.Errorf("%s: %w", field, err)
			}
		}
	}
	return nil
}
