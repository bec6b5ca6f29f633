package flows

import "fmt"

// Locales the bot writes in.
const (
	LocaleEnUS = "en_us"
	LocaleZhCN = "zh_cn"
)

// Msg is one entry of the message table: the same text in every locale the
// bot writes in. Every text a user sees comes from a Msg, so a translation is
// never missing (TestMessages checks that both are filled in and agree on
// their format verbs).
type Msg struct {
	EnUS string
	ZhCN string
}

// In returns the text in locale (English for any locale but zh_cn), formatted
// with args when there are any.
func (m Msg) In(locale string, args ...any) string {
	s := m.EnUS
	if locale == LocaleZhCN {
		s = m.ZhCN
	}
	if len(args) > 0 {
		s = fmt.Sprintf(s, args...)
	}
	return s
}

// I18n returns the text in every locale, keyed as toasts and cards key them.
func (m Msg) I18n(args ...any) map[string]string {
	return map[string]string{LocaleEnUS: m.In(LocaleEnUS, args...), LocaleZhCN: m.In(LocaleZhCN, args...)}
}

// The engine's texts: its answers to clicks, its notices, and the buttons
// every flow's forms share (exported ones are for flows to reuse). Each
// flow keeps its own texts in its package.
var (
	// Toasts shared by every flow.
	msgFormExpired      = Msg{"This form has expired", "此表单已失效"}
	msgFormCancelled    = Msg{"This form was cancelled", "此表单已取消"}
	MsgNotYours         = Msg{"Only the member who opened this form can use it", "只有发起人可以操作此表单"}
	msgAlreadySubmitted = Msg{"Already submitted", "已提交"}
	msgFormSubmitted    = Msg{"Submitted", "已提交"}
	msgDeniedTitle      = Msg{"Not allowed", "无权使用"}
	msgDeniedAdmins     = Msg{"Only the chat's owner and managers, and botd's admins, can use /%s", "只有群主、群管理员和 botd 管理员可以使用 /%s"}
	msgDeniedMembers    = Msg{"Only these members, the chat's owner and managers, and botd's admins, can use /%s: %s", "只有以下成员、群主、群管理员和 botd 管理员可以使用 /%s：%s"}
	msgCancelled        = Msg{"Cancelled", "已取消"}
	msgClosed           = Msg{"Closed", "已关闭"}
	MsgUnknownAction    = Msg{"This button no longer works", "此按钮已失效"}
	msgFailed           = Msg{"This form could not be completed", "此表单未能完成"}
	msgPostFailed       = Msg{"Sorry: your /%s could not be posted to the group, because the platform refused it. Nothing was posted; please try again.",
		"抱歉：你的 /%s 未能发送到群里（平台拒绝了该请求），未发送任何内容，请重试。"}
	msgFormNotShown = Msg{"Sorry: your /%s form could not be shown in that chat (the bot may have been removed, or the chat disbanded). Nothing was started.",
		"抱歉：你的 /%s 表单无法在该群中显示（机器人可能已被移出，或群已解散），未创建任何内容。"}
	msgErrorSep = Msg{"; ", "；"}

	// Buttons.
	MsgCancel = Msg{"Cancel", "取消"}
	MsgClose  = Msg{"Close", "关闭"}
)

// NewToast returns a toast of the given type whose default text is in
// locale, carrying every locale.
func NewToast(typ, locale string, m Msg, args ...any) *Toast {
	return &Toast{Type: typ, Content: m.In(locale, args...), I18n: m.I18n(args...)}
}

// Texts of fair use and of the membership check on group cards.
var (
	msgSlowDownTitle  = Msg{"Slow down", "请慢一点"}
	msgSlowDownMember = Msg{"You are sending commands faster than botd takes them, so your commands in this chat are ignored for the next %d seconds.", "你发送命令太快了，接下来 %d 秒内 botd 将忽略你在本会话中的命令。"}
	msgSlowDownChat   = Msg{"This chat is sending botd more commands than it takes, so commands here are ignored for the next %d seconds.", "本会话当前发送给 botd 的命令过多，接下来 %d 秒内这里的命令将被忽略。"}

	MsgNotChatMember     = Msg{"Only members of the chat this card belongs to can use its buttons", "只有此卡片所属群的成员可以使用其按钮"}
	MsgMembershipUnknown = Msg{"Could not check that you are a member of the chat this card belongs to. Please try again in a moment", "暂时无法确认你是否为此卡片所属群的成员，请稍后再试"}
)
