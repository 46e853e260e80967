// Package config finds and decodes .octorelease.yaml (SPEC §4) and merges it
// with OCTORELEASE_* environment variables and flags through viper:
// flags beat environment beat file beat defaults. viper lives here only.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/octorelease/octorelease/internal/errs"
)

// FileName is the config file looked up from the working directory upwards.
const FileName = ".octorelease.yaml"

// Defaults (SPEC §4), relative to the folder of the config file, or to the
// working directory when there is none.
const (
	DefaultChecklists  = "checklists"
	DefaultStateDir    = ".octorelease"
	DefaultNotesDir    = "release-notes"
	DefaultLockTimeout = 10 * time.Second
)

// Config is the effective configuration of one run. Paths are absolute.
type Config struct {
	File               string // the config file used; "" when none
	Root               string // the folder of File, or the working directory
	ChecklistsDir      string
	StateDir           string
	NotesDir           string
	LockTimeout        time.Duration
	Roles              []Role // built-in first, then added ones, in file order
	SeparationOfDuties bool
	SyncRemote         string // "" means the branch's upstream remote, else origin
	SyncAuto           bool   // sync after every write
	RequireSignatures  bool   // policy.require_signatures (SPEC §13)
	SigningKey         string // signing.key; "" means git's user.signingkey
	AllowedSigners     string // the trust root: allowed_signers in git's format
	Backend            string // BackendFile or BackendPostgres (SPEC §16)
	// Notify are the webhooks (SPEC §15), from the file only.
	Notify []NotifyHook
}

// Backends (SPEC §4, §16).
const (
	BackendFile     = "file"
	BackendPostgres = "postgres"
)

// LoadOptions say where to look.
type LoadOptions struct {
	Cwd        string         // working directory
	ConfigPath string         // --config (or OCTORELEASE_CONFIG); "" to discover
	Flags      *pflag.FlagSet // flags that may override keys: state-dir, lock-timeout, ...
	LookupEnv  func(string) (string, bool)
}

// keys maps each scalar config key to its flag name.
var keys = map[string]string{
	"checklists":                  "checklists",
	"state_dir":                   "state-dir",
	"notes_dir":                   "notes-dir",
	"lock_timeout":                "lock-timeout",
	"policy.separation_of_duties": "separation-of-duties",
	"sync.remote":                 "remote",
	"sync.auto":                   "sync-auto",
	"policy.require_signatures":   "require-signatures",
	"signing.key":                 "signing-key",
	"signing.allowed_signers":     "allowed-signers",
	"backend":                     "backend",
}

// Key is one scalar config key: its environment variable, and the flag
// name that may set it (a flag of that name may or may not exist).
type Key struct {
	Name, Env, Flag string
}

// Keys lists the scalar config keys, sorted by name. roles and notify
// are lists that only the file holds.
func Keys() []Key {
	out := make([]Key, 0, len(keys))
	for k, fl := range keys {
		out = append(out, Key{Name: k, Env: EnvName(k), Flag: fl})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// EnvName is the environment variable for a config key (SPEC §4).
func EnvName(key string) string {
	return "OCTORELEASE_" + strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(key))
}

// Load finds the config file, validates it and merges env and flags.
func Load(o LoadOptions) (*Config, error) {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	path, err := find(o)
	if err != nil {
		return nil, err
	}
	cfg := &Config{File: path, Root: o.Cwd}
	file := &File{}
	if path != "" {
		cfg.Root = filepath.Dir(path)
		data, err := readCapped(path)
		if err != nil {
			return nil, errs.Usagef("read config %s", path).Wrap(err)
		}
		if file, err = Parse(path, data); err != nil {
			return nil, err
		}
	}

	v := viper.New()
	v.SetDefault("checklists", DefaultChecklists)
	v.SetDefault("state_dir", DefaultStateDir)
	v.SetDefault("notes_dir", DefaultNotesDir)
	v.SetDefault("lock_timeout", DefaultLockTimeout.String())
	v.SetDefault("policy.separation_of_duties", false)
	v.SetDefault("backend", BackendFile)
	if err := v.MergeConfigMap(file.asMap()); err != nil {
		return nil, errs.Usagef("config %s", path).Wrap(err)
	}
	// The environment comes from o.LookupEnv, not viper's os.Getenv, so an
	// injected environment is honoured; it overlays the file and stays below
	// flags.
	envMap := map[string]any{}
	for key := range keys {
		if val, ok := o.LookupEnv(EnvName(key)); ok && val != "" {
			envMap[key] = val
		}
	}
	if err := v.MergeConfigMap(nestKeys(envMap)); err != nil {
		return nil, errs.Usagef("environment").Wrap(err)
	}
	for key, flag := range keys {
		if o.Flags != nil {
			if f := o.Flags.Lookup(flag); f != nil {
				if err := v.BindPFlag(key, f); err != nil {
					return nil, err
				}
			}
		}
	}

	// A path from the file is relative to the file; from env or a flag, to
	// the working directory; a default, to Root.
	resolve := func(key string) string {
		p := v.GetString(key)
		base := cfg.Root
		if o.changed(key) {
			base = o.Cwd
		}
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		return filepath.Join(base, p)
	}
	cfg.ChecklistsDir = resolve("checklists")
	cfg.StateDir = resolve("state_dir")
	cfg.NotesDir = resolve("notes_dir")

	// A value the file gave was checked by Parse with its file:line; one
	// from the environment or a flag is checked here, naming it.
	lt := v.GetString("lock_timeout")
	if cfg.LockTimeout, err = time.ParseDuration(lt); err != nil || cfg.LockTimeout < 0 {
		return nil, errs.Usagef("%s: lock timeout %q is not a duration such as 10s", o.source(key("lock_timeout"), path), lt)
	}
	for _, b := range []struct {
		key string
		to  *bool
	}{{"policy.separation_of_duties", &cfg.SeparationOfDuties}, {"sync.auto", &cfg.SyncAuto},
		{"policy.require_signatures", &cfg.RequireSignatures}} {
		if *b.to, err = boolKey(v, b.key); err != nil {
			return nil, errs.Usagef("%s: %v", o.source(key(b.key), path), err)
		}
	}
	cfg.Backend = v.GetString("backend")
	switch cfg.Backend {
	case BackendFile, BackendPostgres:
	default:
		return nil, errs.Usagef("%s: backend %q must be %s or %s", o.source(key("backend"), path), cfg.Backend, BackendFile, BackendPostgres)
	}
	cfg.SigningKey = v.GetString("signing.key")
	if cfg.SigningKey != "" && !strings.HasPrefix(cfg.SigningKey, "~") && !strings.HasPrefix(cfg.SigningKey, "ssh-") &&
		!strings.HasPrefix(cfg.SigningKey, "key::") {
		cfg.SigningKey = resolve("signing.key")
	}
	cfg.AllowedSigners = filepath.Join(cfg.StateDir, "allowed_signers")
	if v.GetString("signing.allowed_signers") != "" {
		cfg.AllowedSigners = resolve("signing.allowed_signers")
	}
	cfg.SyncRemote = v.GetString("sync.remote")
	cfg.Roles = mergeRoles(file.Roles)
	cfg.Notify = file.Notify
	return cfg, nil
}

// boolKey reads a boolean from viper strictly: viper's GetBool turns a
// value it cannot read ("ture") into false without a word, and a policy
// switch must not fail open.
func boolKey(v *viper.Viper, key string) (bool, error) {
	s := v.GetString(key)
	switch strings.ToLower(s) {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no", "":
		return false, nil
	}
	return false, fmt.Errorf("%s %q must be true or false", key, s)
}

func key(name string) Key { return Key{Name: name, Env: EnvName(name), Flag: keys[name]} }

// source names where the value of k came from: the flag, the environment
// variable, else the config file (or the default).
func (o LoadOptions) source(k Key, file string) string {
	if o.Flags != nil {
		if f := o.Flags.Lookup(k.Flag); f != nil && f.Changed {
			return "--" + k.Flag
		}
	}
	if v, ok := o.LookupEnv(k.Env); ok && v != "" {
		return k.Env
	}
	if file != "" {
		return file
	}
	return "default " + k.Name
}

// nestKeys turns dotted keys ("policy.separation_of_duties") into nested
// maps, as viper's config maps expect.
func nestKeys(flat map[string]any) map[string]any {
	out := map[string]any{}
	for k, val := range flat {
		m := out
		parts := strings.Split(k, ".")
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = val
	}
	return out
}

// changed reports whether key was set by a flag or the environment.
func (o LoadOptions) changed(key string) bool {
	if o.Flags != nil {
		if f := o.Flags.Lookup(keys[key]); f != nil && f.Changed {
			return true
		}
	}
	// viper ignores an empty variable (AllowEmptyEnv is off), so must we:
	// otherwise a file's path would be resolved against the working directory.
	v, ok := o.LookupEnv(EnvName(key))
	return ok && v != ""
}

func find(o LoadOptions) (string, error) {
	if o.ConfigPath != "" {
		p := o.ConfigPath
		if !filepath.IsAbs(p) {
			p = filepath.Join(o.Cwd, p)
		}
		if _, err := os.Stat(p); err != nil {
			return "", errs.Usagef("config file %s not found", o.ConfigPath)
		}
		return p, nil
	}
	for dir := o.Cwd; ; {
		p := filepath.Join(dir, FileName)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", errs.Runtimef("look for %s", p).Wrap(err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

func readCapped(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("file is %d bytes; the limit is %d", st.Size(), MaxFileSize)
	}
	return os.ReadFile(path)
}

func (f *File) asMap() map[string]any {
	m := map[string]any{}
	put := func(k string, s *string) {
		if s != nil {
			m[k] = *s
		}
	}
	put("checklists", f.Checklists)
	put("state_dir", f.StateDir)
	put("notes_dir", f.NotesDir)
	put("backend", f.Backend)
	if f.LockTimeout != nil {
		m["lock_timeout"] = f.LockTimeout.String()
	}
	policy := map[string]any{}
	if f.SeparationOfDuties != nil {
		policy["separation_of_duties"] = *f.SeparationOfDuties
	}
	if f.RequireSignatures != nil {
		policy["require_signatures"] = *f.RequireSignatures
	}
	if len(policy) > 0 {
		m["policy"] = policy
	}
	signing := map[string]any{}
	put2 := func(k string, s *string) {
		if s != nil {
			signing[k] = *s
		}
	}
	put2("key", f.SigningKey)
	put2("allowed_signers", f.AllowedSigners)
	if len(signing) > 0 {
		m["signing"] = signing
	}
	sync := map[string]any{}
	if f.SyncRemote != nil {
		sync["remote"] = *f.SyncRemote
	}
	if f.SyncAuto != nil {
		sync["auto"] = *f.SyncAuto
	}
	if len(sync) > 0 {
		m["sync"] = sync
	}
	return m
}

// mergeRoles overlays the file's roles on the built-in ones: a known id is
// renamed and given members, a new id is added.
func mergeRoles(fromFile []FileRole) []Role {
	roles := BuiltinRoles()
	for _, fr := range fromFile {
		i := indexRole(roles, fr.ID)
		if i < 0 {
			name := fr.Name
			if name == "" {
				name = fr.ID
			}
			roles = append(roles, Role{ID: fr.ID, Name: name, Members: fr.Members})
			continue
		}
		if fr.Name != "" {
			roles[i].Name = fr.Name
		}
		roles[i].Members = fr.Members
	}
	return roles
}

func indexRole(roles []Role, id string) int {
	for i, r := range roles {
		if r.ID == id {
			return i
		}
	}
	return -1
}

// RoleIDs returns the known role ids in order.
func (c *Config) RoleIDs() []string {
	ids := make([]string, len(c.Roles))
	for i, r := range c.Roles {
		ids[i] = r.ID
	}
	return ids
}

// RoleName returns a role's display name, or the id when unknown.
func (c *Config) RoleName(id string) string {
	if i := indexRole(c.Roles, id); i >= 0 {
		return c.Roles[i].Name
	}
	return id
}

// Members maps each role with members to them (for release.Policy).
func (c *Config) Members() map[string][]string {
	m := map[string][]string{}
	for _, r := range c.Roles {
		if len(r.Members) > 0 {
			m[r.ID] = r.Members
		}
	}
	return m
}
