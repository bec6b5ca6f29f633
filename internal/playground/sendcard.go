package playground

import (
	"encoding/json"

	"github.com/botd/botd/internal/feishusim"
)

// sendCard is tt.sendMessageCard once the chats are known: the simulator
// sends cardContent into chats as member's client would
// (feishusim.ClientSendMessageCard), unless forced names the errCode to
// answer with instead. It returns what the page's success or fail callback
// gets: success only when every chat got the card.
func (s *Server) sendCard(member string, chats []string, cardContent json.RawMessage, forced int) clientResult {
	if forced != 0 && forced != 42406 {
		return answerFor(forced, chats, nil)
	}
	info, failedChats, code := s.sim.ClientSendMessageCard(member, chats, cardContent)
	sent := sendCardInfo(info)
	if forced == 42406 && code == 0 {
		// The card went out; the note with it did not.
		return answerFor(42406, chats, sent)
	}
	if code == 0 {
		return clientResult{OK: true, Res: map[string]any{"errMsg": "sendMessageCard:ok", "sendCardInfo": sent}}
	}
	res := failed("sendMessageCard", code, "")
	if len(sent) > 0 {
		res.Res["sendCardInfo"] = sent
	}
	if len(failedChats) > 0 {
		res.Res["failedOpenChatIDs"] = failedChats
	}
	return res
}

// sendCardInfo is the seed's sendCardInfo, as the page receives it.
func sendCardInfo(info []feishusim.SentCard) []map[string]any {
	out := make([]map[string]any, 0, len(info))
	for _, e := range info {
		out = append(out, map[string]any{"status": e.Status, "openChatId": e.OpenChatID, "openMessageId": e.OpenMessageID})
	}
	return out
}
