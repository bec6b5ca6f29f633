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

// The message table. Names start with the flow they belong to.
var (
	// Toasts shared by every flow.
	msgFormExpired      = Msg{"This form has expired", "此表单已失效"}
	msgFormCancelled    = Msg{"This form was cancelled", "此表单已取消"}
	msgNotYours         = Msg{"Only the member who opened this form can use it", "只有发起人可以操作此表单"}
	msgAlreadySubmitted = Msg{"Already submitted", "已提交"}
	msgCancelled        = Msg{"Cancelled", "已取消"}
	msgClosed           = Msg{"Closed", "已关闭"}
	msgUnknownAction    = Msg{"This button no longer works", "此按钮已失效"}
	msgFailed           = Msg{"This form could not be completed", "此表单未能完成"}
	msgPostFailed       = Msg{"Sorry: your /%s could not be posted to the group, because the platform refused it. Nothing was posted; please try again.",
		"抱歉：你的 /%s 未能发送到群里（平台拒绝了该请求），未发送任何内容，请重试。"}
	msgErrorSep = Msg{"; ", "；"}

	// Buttons.
	msgCancel = Msg{"Cancel", "取消"}
	msgClose  = Msg{"Close", "关闭"}

	// /help and the hint for unknown commands.
	msgHelpDescribe   = Msg{"List the commands", "列出所有命令"}
	msgHelpTitle      = Msg{"Commands", "命令"}
	msgHelpLine       = Msg{"**/%s** · %s", "**/%s** · %s"}
	msgUnknownCommand = Msg{"Unknown command /%s. Try /help", "未知命令 /%s。试试 /help"}

	// /todo.
	msgTodoDescribe            = Msg{"Create a todo; a title and an @mention after the command fill in the form", "创建待办；命令后的标题和 @成员 会预填表单"}
	msgTodoFormTitle           = Msg{"New todo", "新建待办"}
	msgTodoTitleLabel          = Msg{"Title", "标题"}
	msgTodoTitlePlaceholder    = Msg{"What needs doing?", "要做什么？"}
	msgTodoAssigneeCurrent     = Msg{"Assignee: %s (pick someone else to change)", "负责人：%s（可另选他人）"}
	msgTodoAssigneePlaceholder = Msg{"Assignee (optional)", "负责人（可选）"}
	msgTodoDuePlaceholder      = Msg{"Due date (optional)", "截止日期（可选）"}
	msgTodoNotesLabel          = Msg{"Notes", "备注"}
	msgTodoNotesPlaceholder    = Msg{"Details (optional)", "详细说明（可选）"}
	msgTodoSubmit              = Msg{"Create todo", "创建待办"}
	msgTodoCreated             = Msg{"Todo created", "待办已创建"}
	msgTodoTitleRequired       = Msg{"Title is required", "请填写标题"}
	msgTodoTitleTooLong        = Msg{"Title is too long (at most %d characters)", "标题过长（最多 %d 个字）"}
	msgTodoAssigneeInvalid     = Msg{"Assignee is not a valid member", "负责人无效"}
	msgTodoDueInvalid          = Msg{"Due date is not a valid date", "截止日期无效"}
	msgTodoDuePast             = Msg{"Due date is in the past", "截止日期已过"}
	msgTodoNotesTooLong        = Msg{"Notes are too long (at most %d characters)", "备注过长（最多 %d 个字）"}
	msgTodoAssignee            = Msg{"**Assignee** %s", "**负责人** %s"}
	msgTodoDue                 = Msg{"**Due** %s", "**截止日期** %s"}
	msgTodoCreatedBy           = Msg{"Created by %s", "创建人 %s"}
)

// toast returns a toast of the given type whose default text is in locale.
func toast(typ, locale string, m Msg, args ...any) *Toast {
	return &Toast{Type: typ, Content: m.In(locale, args...), I18n: m.I18n(args...)}
}
