package reload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/structauth/structauth/jwtauth"
)

// Defaults for Options.
const (
	// DefaultInterval is how often the file is polled.
	DefaultInterval = 10 * time.Second
	// DefaultReadyTimeout bounds the wait for a new configuration's
	// issuers to become ready.
	DefaultReadyTimeout = 30 * time.Second
	// MaxConfigBytes bounds the configuration file.
	MaxConfigBytes = 4 << 20
)

// ErrClosed is returned by Authenticate and Reload after Close.
var ErrClosed = errors.New("reload: authenticator closed")

// Options tunes an Authenticator. Every zero value is documented and safe.
type Options struct {
	// Auth is passed to jwtauth.New for every configuration (the profile,
	// for example jwtauth.ProfileAKS, the HTTP client, the clock).
	Auth jwtauth.Options
	// Interval is how often the file is read and hashed. Zero means
	// DefaultInterval; a negative value disables polling (Reload only).
	Interval time.Duration
	// ReadyTimeout bounds the wait for a new configuration's issuers to
	// fetch their discovery documents and keys (jwtauth.Authenticator.Ready).
	// Zero means DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// OnReload, when non-nil, is called after every load attempt: the
	// initial load, each changed content, each failure to read the file
	// (once per distinct failure) and each Reload. It runs on the
	// goroutine that made the attempt, never concurrently with itself,
	// and must not call Reload or Close.
	OnReload func(Event)
}

// Trigger says what started a load attempt.
type Trigger string

// Triggers.
const (
	TriggerInitial Trigger = "initial"
	TriggerPoll    Trigger = "poll"
	TriggerReload  Trigger = "reload"
)

// Event reports one load attempt.
type Event struct {
	// Trigger is what started the attempt.
	Trigger Trigger
	// Time is when the attempt ended.
	Time time.Time
	// Hash is the SHA-256 (hex) of the content tried; empty when the file
	// could not be read.
	Hash string
	// Generation is the generation serving after the attempt: 1 for the
	// initial configuration, incremented by every swap.
	Generation uint64
	// Swapped is true when the attempt replaced the serving configuration.
	Swapped bool
	// Err is why the attempt failed (the old configuration keeps
	// serving), or, on the initial load only, why the configuration that
	// serves is not ready yet. Nil on success.
	Err error
}

// Status is the state of an Authenticator.
type Status struct {
	// Generation and Hash identify the serving configuration.
	Generation uint64
	Hash       string
	// LoadedAt is when it started serving.
	LoadedAt time.Time
	// LastAttempt is the last load attempt, successful or not.
	LastAttempt Event
	// LastError is the error of the last failed attempt since the
	// serving configuration was loaded: nil when none failed or the file
	// is back to the serving content. After New, it is why the first
	// configuration was not ready, if it was not.
	LastError error
}

// Authenticator authenticates tokens with the configuration currently in
// a file, and swaps in a new jwtauth.Authenticator when the file changes.
// It is safe for concurrent use; Close stops the polling.
type Authenticator struct {
	path string
	opts Options

	cur atomic.Pointer[generation]

	// loadMu serializes load attempts and guards lastFailure and closed.
	loadMu      sync.Mutex
	lastFailure string // what failed last ("invalid:"+hash, ...), to report it once
	closed      bool

	mu     sync.Mutex // guards status; never held during I/O
	status Status

	closeOnce sync.Once
	stop      chan struct{} // closed by Close: stops polling and readiness waits
	done      chan struct{} // closed when the polling goroutine has returned
}

// generation is one built configuration. refs counts the holder (the
// Authenticator, while it is current) plus each Authenticate in flight;
// the jwtauth.Authenticator is closed when it drops to zero.
type generation struct {
	auth   *jwtauth.Authenticator
	number uint64
	hash   string
	refs   atomic.Int64
	closed atomic.Bool
}

// New reads the configuration at path, builds it with jwtauth.New and
// waits up to Options.ReadyTimeout for its issuers to be ready, then
// polls the file. The file must exist and hold a valid configuration.
// If the issuers are not ready in time, New still succeeds (there is no
// older configuration to keep): their tokens fail with jwtauth.ErrNotReady
// or jwtauth.ErrKeys until the authenticator's background retries reach
// them, and the initial Event and Status.LastError say why. ctx bounds
// the initial load only; Close stops the polling.
func New(ctx context.Context, path string, opts Options) (*Authenticator, error) {
	if opts.Interval == 0 {
		opts.Interval = DefaultInterval
	}
	if opts.ReadyTimeout < 0 {
		return nil, fmt.Errorf("reload: Options.ReadyTimeout must not be negative, got %s", opts.ReadyTimeout)
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = DefaultReadyTimeout
	}
	a := &Authenticator{path: path, opts: opts, stop: make(chan struct{}), done: make(chan struct{})}
	data, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	hash := hashOf(data)
	auth, readyErr, err := a.build(ctx, data)
	if err != nil {
		return nil, err
	}
	g := &generation{auth: auth, number: 1, hash: hash}
	g.refs.Store(1)
	a.cur.Store(g)
	ev := Event{Trigger: TriggerInitial, Time: time.Now(), Hash: hash, Generation: 1, Swapped: true, Err: readyErr}
	a.status = Status{Generation: 1, Hash: hash, LoadedAt: ev.Time, LastAttempt: ev, LastError: readyErr}
	if a.opts.OnReload != nil {
		a.opts.OnReload(ev)
	}
	if opts.Interval > 0 {
		go a.poll()
	} else {
		close(a.done)
	}
	return a, nil
}

// Authenticate authenticates token with the serving configuration. A
// call that started before a swap finishes on the old configuration,
// which is closed only when the last such call returns; a call never
// sees a configuration that is not fully built.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (*jwtauth.User, error) {
	g := a.acquire()
	if g == nil {
		return nil, ErrClosed
	}
	defer g.release()
	return g.auth.Authenticate(ctx, token)
}

// acquire takes a reference on the current generation, or returns nil
// after Close.
func (a *Authenticator) acquire() *generation {
	for {
		g := a.cur.Load()
		if g == nil {
			return nil
		}
		n := g.refs.Load()
		if n <= 0 {
			// Retired between the Load and here: the pointer already
			// names its successor (or nil), so look again.
			continue
		}
		if g.refs.CompareAndSwap(n, n+1) {
			return g
		}
	}
}

// release drops a reference and closes the generation with the last one.
func (g *generation) release() {
	if g.refs.Add(-1) == 0 {
		g.closed.Store(true)
		_ = g.auth.Close()
	}
}

// Status returns the serving generation and the last attempt.
func (a *Authenticator) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

// Reload reads the file now and swaps in its configuration if its content
// differs from the serving one, even if the same content failed before.
// It returns the attempt's error (nil when the content is unchanged or was
// swapped in). ctx bounds the wait for readiness, together with
// Options.ReadyTimeout.
func (a *Authenticator) Reload(ctx context.Context) error {
	return a.attempt(ctx, TriggerReload)
}

// Close stops the polling and closes the serving configuration once the
// calls in flight have returned. Authenticate then returns ErrClosed.
// Close is idempotent and returns nil.
func (a *Authenticator) Close() error {
	a.closeOnce.Do(func() {
		close(a.stop) // cancels an attempt waiting for readiness
		<-a.done
		a.loadMu.Lock()
		a.closed = true
		g := a.cur.Swap(nil)
		a.loadMu.Unlock()
		if g != nil {
			g.release()
		}
	})
	return nil
}

func (a *Authenticator) poll() {
	defer close(a.done)
	t := time.NewTicker(a.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
			_ = a.attempt(context.Background(), TriggerPoll)
		}
	}
}

// attempt reads the file and, if its content is new, builds, readies and
// swaps in its configuration. Polls do not retry content that failed
// validation; they do retry content whose issuers were not ready.
func (a *Authenticator) attempt(ctx context.Context, trigger Trigger) error {
	a.loadMu.Lock()
	defer a.loadMu.Unlock()
	if a.closed {
		return ErrClosed
	}
	// Close cancels the attempt.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-a.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	data, err := readConfig(a.path)
	if err != nil {
		return a.fail(trigger, "", err.Error(), err)
	}
	hash := hashOf(data)
	serving := a.Status()
	if hash == serving.Hash {
		if a.lastFailure != "" {
			// Back to the serving content (a deleted file restored,
			// say): nothing is wrong any more.
			a.lastFailure = ""
			a.mu.Lock()
			a.status.LastError = nil
			a.mu.Unlock()
		}
		return nil
	}
	if trigger == TriggerPoll && a.lastFailure == "invalid:"+hash {
		return nil
	}
	auth, readyErr, err := a.build(ctx, data)
	if err != nil {
		return a.fail(trigger, hash, "invalid:"+hash, err)
	}
	if readyErr != nil {
		_ = auth.Close()
		return a.fail(trigger, hash, "unready:"+hash, readyErr)
	}
	g := &generation{auth: auth, number: serving.Generation + 1, hash: hash}
	g.refs.Store(1)
	old := a.cur.Swap(g)
	ev := Event{Trigger: trigger, Time: time.Now(), Hash: hash, Generation: g.number, Swapped: true}
	a.mu.Lock()
	a.status = Status{Generation: g.number, Hash: hash, LoadedAt: ev.Time, LastAttempt: ev}
	a.mu.Unlock()
	a.lastFailure = ""
	if old != nil {
		old.release()
	}
	if a.opts.OnReload != nil {
		a.opts.OnReload(ev)
	}
	return nil
}

// fail records a failed attempt; a poll reports the same failure once.
func (a *Authenticator) fail(trigger Trigger, hash, key string, err error) error {
	a.mu.Lock()
	ev := Event{Trigger: trigger, Time: time.Now(), Hash: hash, Generation: a.status.Generation, Err: err}
	a.status.LastAttempt = ev
	a.status.LastError = err
	a.mu.Unlock()
	repeated := trigger == TriggerPoll && key == a.lastFailure
	a.lastFailure = key
	if a.opts.OnReload != nil && !repeated {
		a.opts.OnReload(ev)
	}
	return err
}

// build parses and builds a configuration and waits for it to be ready.
// err means the configuration is invalid; readyErr that it is valid but
// not ready within the bound (the authenticator is returned either way).
func (a *Authenticator) build(ctx context.Context, data []byte) (auth *jwtauth.Authenticator, readyErr, err error) {
	cfg, err := jwtauth.ParseConfig(data)
	if err != nil {
		return nil, nil, fmt.Errorf("reload: %s: %w", a.path, err)
	}
	auth, err = jwtauth.New(ctx, cfg, a.opts.Auth)
	if err != nil {
		return nil, nil, fmt.Errorf("reload: %s: %w", a.path, err)
	}
	rctx, cancel := context.WithTimeout(ctx, a.opts.ReadyTimeout)
	defer cancel()
	// Ready answers at once, so ask again until the bound, as
	// kube-apiserver polls its new authenticators' health checks.
	t := time.NewTicker(readyRetry)
	defer t.Stop()
	for {
		err := auth.Ready(rctx)
		if err == nil {
			return auth, nil, nil
		}
		select {
		case <-rctx.Done():
			return auth, fmt.Errorf("reload: %s: not ready within %s: %w", a.path, a.opts.ReadyTimeout, err), nil
		case <-t.C:
		}
	}
}

// readyRetry is the pause between readiness checks of a new configuration.
const readyRetry = 200 * time.Millisecond

// readConfig reads at most MaxConfigBytes of path (following symlinks, as
// Kubernetes mounts ConfigMaps).
func readConfig(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reload: reading %s: %w", path, err)
	}
	if len(data) > MaxConfigBytes {
		return nil, fmt.Errorf("reload: %s is larger than %d bytes", path, MaxConfigBytes)
	}
	return data, nil
}

func hashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
