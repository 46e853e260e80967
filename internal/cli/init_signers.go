package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/octorelease/octorelease/internal/signing"
)

// starterAllowedSigners drafts <state_dir>/allowed_signers (SPEC §13) from
// the keys this machine knows: the user's own git signing key, and the
// entries of git's own gpg.ssh.allowedSignersFile. It returns the file and
// the configured members it found no key for, which the team has to fill
// in.
func (f *Factory) starterAllowedSigners() (content string, keys int, missing []string) {
	var b strings.Builder
	b.WriteString(`# Who may sign octorelease events: one line per key, as git's allowed_signers
# (ssh-keygen(1), ALLOWED SIGNERS): principals, options, key. A principal is
# the actor octorelease records (git user.email). Protect this file like
# CODEOWNERS protects code, and in CI pass the default branch's copy with
# gate --allowed-signers (docs/security.md).
`)
	seen := map[string]bool{}
	add := func(principal, key, from string) {
		line := fmt.Sprintf("%s namespaces=\"octorelease\" %s", principal, key)
		if seen[line] {
			return
		}
		seen[line] = true
		fmt.Fprintf(&b, "# from %s\n%s\n", from, line)
		keys++
	}
	cfg, _ := f.Config()
	if cfg != nil {
		if s, err := signing.NewSigner(f.Cwd, cfg.SigningKey, f.getenv); err == nil {
			if email := strings.TrimSpace(f.gitEmail()); email != "" {
				add(email, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey()))), "your git signing key")
			}
		}
	}
	if path := gitConfig(f.Cwd, "gpg.ssh.allowedSignersFile"); path != "" {
		if strings.HasPrefix(path, "~/") {
			path = filepath.Join(f.getenv("HOME"), path[2:])
		}
		if data, err := os.ReadFile(path); err == nil {
			if _, err := signing.ParseAllowedSigners(path, data); err == nil {
				for _, line := range strings.Split(string(data), "\n") {
					line = strings.TrimSpace(line)
					if line == "" || strings.HasPrefix(line, "#") {
						continue
					}
					principals, rest, _ := strings.Cut(line, " ")
					if !strings.Contains(rest, "namespaces=") {
						add(principals, rest, "git's gpg.ssh.allowedSignersFile")
					} else {
						fmt.Fprintf(&b, "# from git's gpg.ssh.allowedSignersFile (check its namespaces= allows octorelease)\n%s\n", line)
						keys++
					}
				}
			}
		}
	}
	if cfg != nil {
		text := b.String()
		for _, r := range cfg.Roles {
			for _, m := range r.Members {
				if !strings.Contains(text, m+" ") && !strings.Contains(text, m+",") && !slices.Contains(missing, m) {
					missing = append(missing, m)
				}
			}
		}
	}
	if len(missing) > 0 {
		b.WriteString("\n# Members with no key yet: add a line for each.\n")
		for _, m := range missing {
			fmt.Fprintf(&b, "# %s namespaces=\"octorelease\" ssh-ed25519 AAAA...\n", m)
		}
	}
	return b.String(), keys, missing
}

func gitConfig(dir, key string) string {
	out, err := exec.Command("git", "-C", dir, "config", "--get", key).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
