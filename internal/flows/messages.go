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
	msgFormSubmitted    = Msg{"Submitted", "已提交"}
	msgDeniedAdmins     = Msg{"Only the chat's owner and managers, and botd's admins, can use /%s", "只有群主、群管理员和 botd 管理员可以使用 /%s"}
	msgDeniedMembers    = Msg{"Only these members, the chat's owner and managers, and botd's admins, can use /%s: %s", "只有以下成员、群主、群管理员和 botd 管理员可以使用 /%s：%s"}
	msgCancelled        = Msg{"Cancelled", "已取消"}
	msgClosed           = Msg{"Closed", "已关闭"}
	msgUnknownAction    = Msg{"This button no longer works", "此按钮已失效"}
	msgFailed           = Msg{"This form could not be completed", "此表单未能完成"}
	msgPostFailed       = Msg{"Sorry: your /%s could not be posted to the group, because the platform refused it. Nothing was posted; please try again.",
		"抱歉：你的 /%s 未能发送到群里（平台拒绝了该请求），未发送任何内容，请重试。"}
	msgFormNotShown = Msg{"Sorry: your /%s form could not be shown in that chat (the bot may have been removed, or the chat disbanded). Nothing was started.",
		"抱歉：你的 /%s 表单无法在该群中显示（机器人可能已被移出，或群已解散），未创建任何内容。"}
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
	msgTodoDescribe            = Msg{"Create a todo; a title and an @mention after the command fill in the form. /todo list shows the open ones", "创建待办；命令后的标题和 @成员 会预填表单。/todo list 列出未完成的待办"}
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

	// The todo card in the group, and /todo list.
	msgTodoMarkDone       = Msg{"Mark done", "标记完成"}
	msgTodoReopen         = Msg{"Reopen", "重新打开"}
	msgTodoDoneBy         = Msg{"✅ Done by %s at %s", "✅ %s 于 %s 完成"}
	msgTodoMarkedDone     = Msg{"Marked done", "已标记完成"}
	msgTodoReopened       = Msg{"Reopened", "已重新打开"}
	msgTodoAlreadyDone    = Msg{"Already done", "已经完成了"}
	msgTodoAlreadyOpen    = Msg{"Already open", "已经是未完成状态"}
	msgTodoNotAllowed     = Msg{"Only the assignee, the creator or an admin can change this todo", "只有负责人、创建人或管理员可以修改此待办"}
	msgTodoDueTitle       = Msg{"⏰ Todo due today", "⏰ 待办今天到期"}
	msgTodoDueNudge       = Msg{"%s this todo is due today", "%s 这个待办今天到期"}
	msgTodoListTitle      = Msg{"Open todos (%d)", "未完成的待办（%d）"}
	msgTodoListEmpty      = Msg{"No open todos in this chat", "本群没有未完成的待办"}
	msgTodoListPage       = Msg{"Page %d of %d", "第 %d 页，共 %d 页"}
	msgTodoListPrev       = Msg{"Previous", "上一页"}
	msgTodoListNext       = Msg{"Next", "下一页"}
	msgTodoListNoAssignee = Msg{"**Assignee** none", "**负责人** 无"}

	// /remind: the form.
	msgRemindDescribe          = Msg{"Set a reminder: /remind tomorrow 9:00 standup, /remind in 30m stretch", "设置提醒：/remind 明天 9点 站会，/remind 30分钟后 喝水"}
	msgRemindFormTitle         = Msg{"New reminder", "新建提醒"}
	msgRemindWhatLabel         = Msg{"Remind of", "提醒内容"}
	msgRemindWhatPlaceholder   = Msg{"What should the group be reminded of?", "要提醒什么？"}
	msgRemindDatePlaceholder   = Msg{"Date", "日期"}
	msgRemindTimePlaceholder   = Msg{"Time", "时间"}
	msgRemindRepeatPlaceholder = Msg{"Repeat", "重复"}
	msgRepeatOnce              = Msg{"Once", "不重复"}
	msgRepeatDaily             = Msg{"Every day", "每天"}
	msgRepeatWeekdays          = Msg{"Every weekday (Mon–Fri)", "每个工作日（周一至周五）"}
	msgRepeatWeekly            = Msg{"Every week", "每周"}
	msgNotifyPlaceholder       = Msg{"Who is reminded", "提醒谁"}
	msgNotifySender            = Msg{"Me", "我"}
	msgNotifyGroup             = Msg{"The whole group", "全体成员"}
	msgNotifyPeople            = Msg{"The people chosen below", "下面选择的人"}
	msgRemindPeopleCurrent     = Msg{"Reminds: %s (pick people to change)", "提醒对象：%s（可另选）"}
	msgRemindPeoplePlaceholder = Msg{"People to remind", "提醒哪些人"}
	msgRemindSubmit            = Msg{"Set reminder", "设置提醒"}
	msgRemindCreated           = Msg{"Reminder set", "提醒已设置"}
	msgRemindWhatRequired      = Msg{"Say what to remind of", "请填写提醒内容"}
	msgRemindWhatTooLong       = Msg{"Reminder text is too long (at most %d characters)", "提醒内容过长（最多 %d 个字）"}
	msgRemindDateInvalid       = Msg{"Pick a date", "请选择日期"}
	msgRemindTimeInvalid       = Msg{"Pick a time", "请选择时间"}
	msgRemindDatePast          = Msg{"Date is in the past", "日期已过"}
	msgRemindTimePast          = Msg{"That time has passed", "该时间已过"}
	msgRemindRepeatInvalid     = Msg{"Pick how it repeats", "请选择重复方式"}
	msgRemindNotifyInvalid     = Msg{"Pick who is reminded", "请选择提醒对象"}
	msgRemindPeopleRequired    = Msg{"Pick at least one person", "请至少选择一人"}
	msgRemindPeopleTooMany     = Msg{"At most %d people", "最多 %d 人"}

	// /remind: the card in the group, and the reminder when it fires.
	msgRemindTitle            = Msg{"⏰ Reminder", "⏰ 提醒"}
	msgRemindWhen             = Msg{"**When** %s", "**时间** %s"}
	msgRemindRepeats          = Msg{"**Repeats** %s", "**重复** %s"}
	msgRemindNotifies         = Msg{"**Reminds** %s", "**提醒** %s"}
	msgRemindSetBy            = Msg{"Set by %s", "设置人 %s"}
	msgRemindEveryone         = Msg{"everyone", "所有人"}
	msgRemindCancelledBy      = Msg{"Cancelled by %s at %s", "%s 于 %s 取消"}
	msgRemindSentAt           = Msg{"Sent at %s", "已于 %s 提醒"}
	msgRemindCancel           = Msg{"Cancel reminder", "取消提醒"}
	msgRemindCancelled        = Msg{"Reminder cancelled", "提醒已取消"}
	msgRemindAlreadyCancelled = Msg{"Already cancelled", "已经取消了"}
	msgRemindAlreadySent      = Msg{"Already sent", "已经提醒过了"}
	msgRemindCancelNotAllowed = Msg{"Only the member who set this reminder or an admin can cancel it", "只有设置提醒的人或管理员可以取消"}
	msgRemindNotAllowed       = Msg{"Only the people this reminder is for can do that", "只有被提醒的人可以操作"}
	msgRemindDueSetBy         = Msg{"Due %s · set by %s", "时间 %s · 设置人 %s"}
	msgRemindLate             = Msg{"Sent late: it was due %s", "延迟送达：原定 %s"}
	msgRemindDone             = Msg{"Done", "完成"}
	msgRemindSnooze10         = Msg{"Snooze 10 min", "10 分钟后再提醒"}
	msgRemindSnooze60         = Msg{"Snooze 1 hour", "1 小时后再提醒"}
	msgRemindDoneBy           = Msg{"✅ Done by %s at %s", "✅ %s 于 %s 完成"}
	msgRemindSnoozedBy        = Msg{"💤 Snoozed by %s until %s", "💤 %s 推迟到 %s"}
	msgRemindSnoozed          = Msg{"Snoozed until %s", "已推迟到 %s"}
	msgRemindMarkedDone       = Msg{"Marked done", "已完成"}
	msgRemindAlreadyDone      = Msg{"Already done", "已经完成了"}
)

// toast returns a toast of the given type whose default text is in locale.
func toast(typ, locale string, m Msg, args ...any) *Toast {
	return &Toast{Type: typ, Content: m.In(locale, args...), I18n: m.I18n(args...)}
}

// Refusals of out-of-bounds form values, each naming its field.
var (
	msgTodoDueTooFar       = Msg{"Due date is more than a year ahead", "截止日期不能晚于一年以后"}
	msgTodoNotesInvalid    = Msg{"Notes are not valid text", "备注无效"}
	msgRemindDateTooFar    = Msg{"Date is more than a year ahead", "日期不能晚于一年以后"}
	msgRemindPeopleNotUser = Msg{"People to remind: one is not a valid member", "提醒对象中有无效的成员"}
)

// Texts of fair use and of the membership check on group cards.
var (
	msgSlowDownTitle  = Msg{"Slow down", "请慢一点"}
	msgSlowDownMember = Msg{"You are sending commands faster than botd takes them, so your commands in this chat are ignored for the next %d seconds.", "你发送命令太快了，接下来 %d 秒内 botd 将忽略你在本会话中的命令。"}
	msgSlowDownChat   = Msg{"This chat is sending botd more commands than it takes, so commands here are ignored for the next %d seconds.", "本会话当前发送给 botd 的命令过多，接下来 %d 秒内这里的命令将被忽略。"}

	msgNotChatMember     = Msg{"Only members of the chat this card belongs to can use its buttons", "只有此卡片所属群的成员可以使用其按钮"}
	msgMembershipUnknown = Msg{"Could not check that you are a member of the chat this card belongs to. Please try again in a moment", "暂时无法确认你是否为此卡片所属群的成员，请稍后再试"}
)
