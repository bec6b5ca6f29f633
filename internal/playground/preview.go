package playground

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/botd/botd/internal/feishusim"
)

// handleCards lists the cards the preview page offers: every card the flows
// produce (catalogue), the cards botd sent in this session, and hand-written
// showcases of what the renderer supports.
func (s *Server) handleCards(w http.ResponseWriter, _ *http.Request) {
	samples := s.catalogue()
	samples = append(samples, s.sentSamples()...)
	samples = append(samples, showcases()...)
	writeJSON(w, http.StatusOK, map[string]any{"samples": samples})
}

// showcases are the embedded web/samples/*.json cards.
func showcases() []Sample {
	files, _ := fs.Glob(web, "web/samples/*.json") // the pattern is valid
	var out []Sample
	for _, f := range files {
		b, err := fs.ReadFile(web, f)
		if err != nil || !json.Valid(b) {
			continue // a broken sample is caught by TestShowcasesAreValidJSON
		}
		name := strings.TrimSuffix(path.Base(f), ".json")
		out = append(out, Sample{ID: "showcase_" + name, Group: "showcase", Title: showcaseTitle.Replace(name), Card: b})
	}
	return out
}

// showcaseTitle turns a sample's file name into its title:
// "json2-every-component" is "JSON 2.0 every component".
var showcaseTitle = strings.NewReplacer("json1", "JSON 1.0", "json2", "JSON 2.0", "-", " ")

type validateRequest struct {
	// Card is the card JSON, or a string holding what was pasted (which may
	// not be JSON at all).
	Card json.RawMessage `json:"card"`
}

// validation is what the simulator would reject, for either way of sending.
type validation struct {
	Group     []feishusim.Problem `json:"group"`     // im/v1/messages
	Ephemeral []feishusim.Problem `json:"ephemeral"` // ephemeral/v1/send: no local i18n
}

// handleValidate runs feishusim.ValidateCard on a card, as a group post and
// as an ephemeral card, so a flow author sees the platform's refusal before
// botd ever sends the card.
func (s *Server) handleValidate(w http.ResponseWriter, r *http.Request) {
	var req validateRequest
	if !readJSON(w, r, &req) {
		return
	}
	card := req.Card
	var pasted string
	if json.Unmarshal(card, &pasted) == nil {
		card = json.RawMessage(pasted)
	}
	out := validation{Group: feishusim.ValidateCard(card, false), Ephemeral: feishusim.ValidateCard(card, true)}
	if out.Group == nil {
		out.Group = []feishusim.Problem{}
	}
	if out.Ephemeral == nil {
		out.Ephemeral = []feishusim.Problem{}
	}
	writeJSON(w, http.StatusOK, out)
}
