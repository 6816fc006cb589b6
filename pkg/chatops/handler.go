package chatops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/release"
	"github.com/slack-go/slack"
)

// Bounds of the endpoint, each with its reason.
const (
	// maxBody bounds a request: Slack's slash-command form is well under a
	// kilobyte of fields and the user's text, which Slack caps itself.
	maxBody = 64 << 10
	// Window is how far a request's timestamp may be from now: Slack's own
	// five minutes, which slack.NewSecretsVerifier enforces.
	Window = 5 * time.Minute
	// maxRemembered bounds the replay memory: a thousand commands a minute
	// for twice the window, far beyond a team's chat.
	maxRemembered = 10000
	// answerTimeout keeps an answer within the 3 s Slack waits for one.
	answerTimeout = 2500 * time.Millisecond
)

// Handler answers /gate slash commands. It only reads: GO and NOGO stay
// signatures by each stakeholder's own key, so /gate approve answers with
// the command to run, never with a vote.
type Handler struct {
	secret     string // Slack's signing secret; "": Slack's requests are refused
	mattermost string // Mattermost's token; "": Mattermost's requests are refused
	client     *oci.Client
	cfg        *config.Config
	replays    *replays
	now        func() time.Time
}

// New returns a handler that answers requests signed with Slack's signing secret.
func New(secret string, c *oci.Client, cfg *config.Config) (*Handler, error) {
	if secret == "" {
		return nil, errors.New("no Slack signing secret: set it from the Slack app's Basic Information page")
	}
	return NewFor(Credentials{SlackSecret: secret}, c, cfg)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "slash commands are POSTed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "request too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	if err := h.authenticate(r.Header, body); err != nil {
		// The reason stays here: a forger learns nothing from it.
		http.Error(w, "request not signed by Slack nor carrying the Mattermost token", http.StatusUnauthorized)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		http.Error(w, "unreadable slash command", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), answerTimeout)
	defer cancel()
	msg := slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: h.answer(ctx, cmd)}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(msg)
}

// authenticate checks Slack's signature over the body, its timestamp window,
// and that the same signed request was not seen before.
func (h *Handler) authenticate(header http.Header, body []byte) error {
	if header.Get("X-Slack-Signature") == "" && h.mattermost != "" {
		return h.authenticateMattermost(header, body)
	}
	if h.secret == "" {
		return errors.New("no Slack signing secret configured")
	}
	v, err := slack.NewSecretsVerifier(header, h.secret)
	if err != nil {
		return fmt.Errorf("reading Slack's signature: %w", err)
	}
	if _, err := v.Write(body); err != nil {
		return err
	}
	if err := v.Ensure(); err != nil {
		return err
	}
	key := header.Get("X-Slack-Request-Timestamp") + ":" + header.Get("X-Slack-Signature")
	if !h.replays.first(key, h.now()) {
		return errors.New("replayed request")
	}
	return nil
}

// answer runs the command's text: "status REF [--env E]", "blessed REPO
// [--env E]" or "approve REF --role ROLE". Errors are answers too.
func (h *Handler) answer(ctx context.Context, cmd slack.SlashCommand) string {
	args := strings.Fields(cmd.Text)
	env, args := envFlag(args)
	if len(args) < 2 {
		return usage(cmd.Command)
	}
	verb, ref := args[0], args[1]
	switch verb {
	case "status":
		var envs []string
		if env != "" {
			envs = []string{env}
		}
		t, err := release.Build(ctx, h.client, h.cfg, ref, h.now(), release.Options{Environments: envs, Last: statusRows})
		if err != nil {
			return couldNot(ref, err)
		}
		return statusText(t)
	case "blessed":
		e, err := h.cfg.Environment(env)
		if err != nil {
			return couldNot(ref, err)
		}
		t, err := release.Build(ctx, h.client, h.cfg, ref, h.now(), release.Options{Environments: []string{e.Name}, Last: -1})
		if err != nil {
			return couldNot(ref, err)
		}
		return blessedText(t, e.Name)
	case "approve":
		role := ""
		if len(args) == 4 && args[2] == "--role" {
			role = args[3]
		}
		if role == "" {
			return "Say which role votes: `" + cmd.Command + " approve REPO@DIGEST --role qa`"
		}
		return "A vote is your signature, made with your own key; chat cannot sign for you. Run:\n```gate approve " + escape(ref) + " --key " + escape(role) + ".key --role " + escape(role) + " --decision go --reason \"…\"```\n(`--decision nogo` to say NOGO.)"
	}
	return usage(cmd.Command)
}

func envFlag(args []string) (string, []string) {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--env" {
			return args[i+1], append(append([]string{}, args[:i]...), args[i+2:]...)
		}
	}
	return "", args
}

func usage(command string) string {
	if command == "" {
		command = "/gate"
	}
	return fmt.Sprintf("Usage: `%s status REPO[:TAG|@DIGEST] [--env E]`, `%s blessed REPO [--env E]`, `%s approve REPO@DIGEST --role ROLE`", command, command, command)
}

func couldNot(ref string, err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("gate could not read %s in time for chat: run `gate status %s` in a terminal.", escape(ref), escape(ref))
	}
	return fmt.Sprintf("gate could not decide about %s: %s", escape(ref), escape(err.Error()))
}
