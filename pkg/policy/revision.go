package policy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// maxRevisionFile bounds one file copied from a revision: policies and
// their params are text a person reviews, not data sets.
const maxRevisionFile = 16 << 20

// Snapshot is policy files as they are at one git revision, copied on
// demand into a temporary directory. The repository is the one that holds
// each path. It is not safe for concurrent use; Close removes the copies.
type Snapshot struct {
	rev    string
	dir    string
	tops   map[string]string // repository top → its copy under dir
	copied map[string]bool   // copies made, files or directories
}

// NewSnapshot prepares to copy files as they are at rev (a commit, branch,
// tag or any git revision expression).
func NewSnapshot(rev string) (*Snapshot, error) {
	if rev == "" || strings.HasPrefix(rev, "-") {
		return nil, fmt.Errorf("git revision %q: want a commit, branch or tag", rev)
	}
	dir, err := os.MkdirTemp("", "gate-policy-rev-")
	if err != nil {
		return nil, fmt.Errorf("making a directory for revision %s: %w", rev, err)
	}
	return &Snapshot{rev: rev, dir: dir, tops: map[string]string{}, copied: map[string]bool{}}, nil
}

// Rev is the revision, as given.
func (s *Snapshot) Rev() string { return s.rev }

// Close removes the copies.
func (s *Snapshot) Close() error { return os.RemoveAll(s.dir) }

// Path copies the file or directory at path (as named in the working tree,
// which need not hold it any more) as it is at the revision, and returns
// where the copy is. Copying one path twice copies it once.
func (s *Snapshot) Path(ctx context.Context, path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	top, rel, err := repository(ctx, abs)
	if err != nil {
		return "", err
	}
	root, ok := s.tops[top]
	if !ok {
		if _, err := git(ctx, top, "rev-parse", "--verify", "--quiet", s.rev+"^{commit}"); err != nil {
			return "", fmt.Errorf("git revision %s: not a commit in %s", s.rev, top)
		}
		root = filepath.Join(s.dir, strconv.Itoa(len(s.tops)))
		s.tops[top] = root
	}
	dst := filepath.Join(root, rel)
	for p := dst; strings.HasPrefix(p, root); p = filepath.Dir(p) {
		if !s.copied[p] {
			continue
		}
		if _, err := os.Stat(dst); err != nil {
			return "", fmt.Errorf("%s does not exist at git revision %s", rel, s.rev)
		}
		return dst, nil
	}
	if err := s.copy(ctx, top, rel, root); err != nil {
		return "", err
	}
	s.copied[dst] = true
	return dst, nil
}

// copy writes the blobs under rel at the revision into root.
func (s *Snapshot) copy(ctx context.Context, top, rel, root string) error {
	out, err := git(ctx, top, "ls-tree", "-r", "-z", "--full-tree", s.rev, "--", filepath.ToSlash(rel))
	if err != nil {
		return err
	}
	type blob struct{ object, name string }
	var blobs []blob
	for entry := range bytes.SplitSeq(out, []byte{0}) {
		meta, name, ok := strings.Cut(string(entry), "\t")
		if !ok {
			continue
		}
		// Symbolic links (120000) and submodules are not policy files.
		if f := strings.Fields(meta); len(f) == 3 && f[1] == "blob" && f[0] != "120000" {
			blobs = append(blobs, blob{object: f[2], name: name})
		}
	}
	if len(blobs) == 0 {
		return fmt.Errorf("%s does not exist at git revision %s", rel, s.rev)
	}
	var objects bytes.Buffer
	for _, b := range blobs {
		objects.WriteString(b.object + "\n")
	}
	cmd := exec.CommandContext(ctx, "git", "-C", top, "cat-file", "--batch")
	cmd.Stdin = &objects
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("running git cat-file: %w", err)
	}
	r := bufio.NewReader(stdout)
	for _, b := range blobs {
		if err := writeBlob(r, b.object, filepath.Join(root, filepath.FromSlash(b.name))); err != nil {
			_ = cmd.Wait()
			return fmt.Errorf("copying %s at %s: %w", b.name, s.rev, err)
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git cat-file: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// writeBlob reads one "<object> blob <size>\n<content>\n" answer of git
// cat-file --batch into the file at path.
func writeBlob(r *bufio.Reader, object, path string) error {
	header, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	f := strings.Fields(header)
	if len(f) != 3 || f[0] != object || f[1] != "blob" {
		return fmt.Errorf("git cat-file answered %q", strings.TrimSpace(header))
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || size > maxRevisionFile {
		return fmt.Errorf("size %s: want at most %d bytes", f[2], maxRevisionFile)
	}
	content := make([]byte, size+1) // and the newline after it
	if _, err := io.ReadFull(r, content); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, content[:size], 0o644)
}

// Explain rewrites the paths of copies in err's message as REV:PATH, the
// path relative to its repository, so that a compile error at the base
// revision names the file a reviewer can open. err stays wrapped.
func (s *Snapshot) Explain(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, root := range s.tops {
		msg = strings.ReplaceAll(msg, root+string(filepath.Separator), s.rev+":")
	}
	if msg == err.Error() {
		return err
	}
	return &explained{msg: msg, err: err}
}

type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// repository returns the top of the git work tree holding path, and path
// relative to it. path need not exist: a file the working tree deleted is
// still at the base revision.
func repository(ctx context.Context, path string) (top, rel string, err error) {
	dir := path
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", "", fmt.Errorf("%s: no such directory", path)
		}
		dir = parent
	}
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", "", fmt.Errorf("finding the git repository of %s: %w", path, err)
	}
	top = strings.TrimSpace(string(out))
	// git answers with symbolic links resolved; so must the path.
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", "", err
	}
	if rest, _ := filepath.Rel(dir, path); rest != "." {
		real = filepath.Join(real, rest)
	}
	rel, err = filepath.Rel(top, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", "", fmt.Errorf("%s is outside its git repository %s", path, top)
	}
	return top, rel, nil
}

// git runs git in dir, returning its output or an error with its stderr.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("running git: %w (gate policy diff reads the base revision with git)", err)
		}
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
