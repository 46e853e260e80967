package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/octorelease/octorelease/internal/checklist"
)

// MaxFileSize caps a config file; anything larger is refused unread.
const MaxFileSize = 1 << 20

// File is what a .octorelease.yaml may say. Pointers tell "absent" from "zero".
type File struct {
	Checklists         *string
	StateDir           *string
	NotesDir           *string
	LockTimeout        *time.Duration
	Roles              []FileRole // in file order
	SeparationOfDuties *bool
	SyncRemote         *string
	SyncAuto           *bool
	RequireSignatures  *bool
	SigningKey         *string
	AllowedSigners     *string
	Backend            *string
	Notify             []NotifyHook // in file order
}

// FileRole is one entry under `roles:`.
type FileRole struct {
	ID      string
	Name    string
	Members []string
}

// Problem is one error found in a config file, with its position.
type Problem struct {
	Line, Col int
	Msg       string
}

// ParseError lists every problem of one config file.
type ParseError struct {
	File     string
	Problems []Problem
}

func (e *ParseError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = fmt.Sprintf("%s:%d:%d: %s", e.File, p.Line, p.Col, p.Msg)
	}
	return strings.Join(lines, "\n")
}

// ExitCode makes an invalid config a usage error (exit 2).
func (e *ParseError) ExitCode() int { return 2 }

var topKeys = []string{"checklists", "state_dir", "notes_dir", "lock_timeout", "roles", "policy", "signing", "sync", "backend", "notify"}

// Parse strictly decodes a config file: unknown keys, wrong types, aliases
// and oversized input are errors naming file:line:column. This is the one
// place the file is read by hand, from the YAML node tree, because viper
// neither refuses unknown keys nor keeps positions; Load hands viper the
// result, and viper merges it with the environment and the flags.
func Parse(name string, data []byte) (*File, error) {
	pe := &ParseError{File: name}
	if len(data) > MaxFileSize {
		pe.Problems = append(pe.Problems, Problem{1, 1, fmt.Sprintf("file is %d bytes; the limit is %d", len(data), MaxFileSize)})
		return nil, pe
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 1
		fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: line "), "%d", &line)
		pe.Problems = append(pe.Problems, Problem{line, 1, strings.TrimPrefix(err.Error(), "yaml: ")})
		return nil, pe
	}
	f := &File{}
	p := &parser{pe: pe}
	if len(doc.Content) == 0 { // empty file: all defaults
		return f, nil
	}
	root := doc.Content[0]
	if !p.noAliases(root) {
		return nil, pe
	}
	if root.Kind != yaml.MappingNode {
		p.fail(root, "the config must be a mapping of keys such as state_dir and roles")
		return nil, pe
	}
	p.eachKey(root, "config", topKeys, func(key string, v *yaml.Node) {
		switch key {
		case "checklists":
			f.Checklists = p.str(v, key)
		case "state_dir":
			f.StateDir = p.str(v, key)
		case "notes_dir":
			f.NotesDir = p.str(v, key)
		case "lock_timeout":
			if s := p.str(v, key); s != nil {
				d, err := time.ParseDuration(*s)
				if err != nil || d <= 0 {
					p.fail(v, fmt.Sprintf("lock_timeout %q is not a positive duration such as 10s", *s))
				} else {
					f.LockTimeout = &d
				}
			}
		case "roles":
			f.Roles = p.roles(v)
		case "policy":
			p.eachKey(v, "policy", []string{"separation_of_duties", "require_signatures"}, func(k string, b *yaml.Node) {
				var on bool
				if b.Kind != yaml.ScalarNode || b.Decode(&on) != nil {
					p.fail(b, k+" must be true or false")
					return
				}
				if k == "require_signatures" {
					f.RequireSignatures = &on
				} else {
					f.SeparationOfDuties = &on
				}
			})
		case "signing":
			p.eachKey(v, "signing", []string{"key", "allowed_signers"}, func(k string, b *yaml.Node) {
				if k == "key" {
					f.SigningKey = p.str(b, "signing.key")
				} else {
					f.AllowedSigners = p.str(b, "signing.allowed_signers")
				}
			})
		case "backend":
			f.Backend = p.str(v, key)
		case "notify":
			f.Notify = p.notify(v)
		case "sync":
			p.eachKey(v, "sync", []string{"remote", "auto"}, func(k string, b *yaml.Node) {
				if k == "remote" {
					f.SyncRemote = p.str(b, "sync.remote")
					return
				}
				var on bool
				if b.Kind != yaml.ScalarNode || b.Decode(&on) != nil {
					p.fail(b, "sync.auto must be true or false")
					return
				}
				f.SyncAuto = &on
			})
		}
	})
	if len(pe.Problems) > 0 {
		return nil, pe
	}
	return f, nil
}

type parser struct{ pe *ParseError }

func (p *parser) fail(n *yaml.Node, msg string) {
	p.pe.Problems = append(p.pe.Problems, Problem{n.Line, n.Column, msg})
}

func (p *parser) noAliases(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		p.fail(n, "anchors and aliases are not supported")
		return false
	}
	for _, c := range n.Content {
		if !p.noAliases(c) {
			return false
		}
	}
	return true
}

// eachKey walks a mapping, reporting unknown and duplicate keys.
func (p *parser) eachKey(n *yaml.Node, what string, known []string, fn func(string, *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		if n.Tag == "!!null" {
			return
		}
		p.fail(n, what+" must be a mapping")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		switch {
		case seen[key]:
			p.fail(k, fmt.Sprintf("duplicate key %q in %s", key, what))
		case known != nil && !slices.Contains(known, key):
			p.fail(k, fmt.Sprintf("unknown key %q in %s; expected one of: %s", key, what, strings.Join(known, ", ")))
		default:
			seen[key] = true
			fn(key, v)
		}
	}
}

func (p *parser) str(n *yaml.Node, key string) *string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.fail(n, key+" must be a string")
		return nil
	}
	s := n.Value
	return &s
}

func (p *parser) roles(n *yaml.Node) []FileRole {
	var out []FileRole
	p.eachKey(n, "roles", nil, func(id string, v *yaml.Node) {
		if !checklist.ValidID(id) {
			p.fail(v, fmt.Sprintf("role id %q must match %s", id, checklist.IDPattern))
			return
		}
		r := FileRole{ID: id}
		p.eachKey(v, "role "+id, []string{"name", "members"}, func(key string, f *yaml.Node) {
			switch key {
			case "name":
				if s := p.str(f, "name"); s != nil {
					r.Name = *s
				}
			case "members":
				if f.Kind != yaml.SequenceNode {
					p.fail(f, "members must be a list of actor names or e-mails")
					return
				}
				for _, m := range f.Content {
					if m.Kind != yaml.ScalarNode || strings.TrimSpace(m.Value) == "" {
						p.fail(m, "a member must be a non-empty name or e-mail")
						continue
					}
					r.Members = append(r.Members, m.Value)
				}
			}
		})
		out = append(out, r)
	})
	return out
}
