package playground

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

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
	// Problems is Group and Ephemeral merged: each problem once, with the
	// ways of sending it applies to, as the page lists them.
	Problems []surfaceProblem `json:"problems"`
	// Syntax locates the first JSON syntax error, when the text is not JSON.
	Syntax *syntaxError `json:"syntax,omitempty"`
}

// Surfaces a card can be sent on, as validation names them.
const (
	surfaceGroup     = "group"
	surfaceEphemeral = "ephemeral"
)

type surfaceProblem struct {
	feishusim.Problem
	Surfaces []string `json:"surfaces"`
}

// syntaxError is where pasted text stops being JSON, 1-based as an editor
// counts (a column counts characters, not bytes).
type syntaxError struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// findSyntaxError locates the first syntax error in text, nil when it is JSON.
func findSyntaxError(text []byte) *syntaxError {
	var v any
	err := json.Unmarshal(text, &v)
	if err == nil {
		return nil
	}
	// By default the text ended early: the error is just past its end.
	offset := int64(len(text))
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 && se.Offset <= int64(len(text)) &&
		!strings.Contains(se.Error(), "end of JSON input") {
		offset = se.Offset - 1 // Offset counts the bytes read, the offending one included
	}
	before := string(text[:offset])
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	return &syntaxError{Line: line, Column: col, Message: err.Error()}
}

// mergeProblems lists each problem once, with the surfaces that refuse it.
func mergeProblems(group, ephemeral []feishusim.Problem) []surfaceProblem {
	out := []surfaceProblem{}
	index := map[feishusim.Problem]int{}
	add := func(list []feishusim.Problem, surface string) {
		for _, p := range list {
			if i, ok := index[p]; ok {
				if !slices.Contains(out[i].Surfaces, surface) {
					out[i].Surfaces = append(out[i].Surfaces, surface)
				}
				continue
			}
			index[p] = len(out)
			out = append(out, surfaceProblem{Problem: p, Surfaces: []string{surface}})
		}
	}
	add(group, surfaceGroup)
	add(ephemeral, surfaceEphemeral)
	return out
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
	out.Problems = mergeProblems(out.Group, out.Ephemeral)
	out.Syntax = findSyntaxError(card)
	writeJSON(w, http.StatusOK, out)
}
