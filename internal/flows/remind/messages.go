package remind

import "github.com/botd/botd/internal/flows"

// The texts of /remind, in every language botd writes.
var (
	msgRemindDescribe          = flows.Msg{EnUS: "Set a reminder: /remind tomorrow 9:00 standup, /remind in 30m stretch", ZhCN: "设置提醒：/remind 明天 9点 站会，/remind 30分钟后 喝水"}
	msgRemindFormTitle         = flows.Msg{EnUS: "New reminder", ZhCN: "新建提醒"}
	msgRemindWhatLabel         = flows.Msg{EnUS: "Remind of", ZhCN: "提醒内容"}
	msgRemindWhatPlaceholder   = flows.Msg{EnUS: "What should the group be reminded of?", ZhCN: "要提醒什么？"}
	msgRemindDatePlaceholder   = flows.Msg{EnUS: "Date", ZhCN: "日期"}
	msgRemindTimePlaceholder   = flows.Msg{EnUS: "Time (in your time zone)", ZhCN: "时间（你所在时区）"}
	msgRemindRepeatPlaceholder = flows.Msg{EnUS: "Repeat", ZhCN: "重复"}
	// Selects have no label component (§8.6) and a prefilled one hides its
	// placeholder, so these lines above them say what each one is.
	msgRemindRepeatLabel       = flows.Msg{EnUS: "**Repeat**", ZhCN: "**重复**"}
	msgRemindNotifyLabel       = flows.Msg{EnUS: "**Who is reminded**", ZhCN: "**提醒谁**"}
	msgRemindPeopleLabel       = flows.Msg{EnUS: "**People to remind** (for “The people chosen below”)", ZhCN: "**提醒哪些人**（选择“下面选择的人”时）"}
	msgRepeatOnce              = flows.Msg{EnUS: "Once", ZhCN: "不重复"}
	msgRepeatDaily             = flows.Msg{EnUS: "Every day", ZhCN: "每天"}
	msgRepeatWeekdays          = flows.Msg{EnUS: "Every weekday (Mon–Fri)", ZhCN: "每个工作日（周一至周五）"}
	msgRepeatWeekly            = flows.Msg{EnUS: "Every week", ZhCN: "每周"}
	msgNotifyPlaceholder       = flows.Msg{EnUS: "Who is reminded", ZhCN: "提醒谁"}
	msgNotifySender            = flows.Msg{EnUS: "Me", ZhCN: "我"}
	msgNotifyGroup             = flows.Msg{EnUS: "The whole group", ZhCN: "全体成员"}
	msgNotifyPeople            = flows.Msg{EnUS: "The people chosen below", ZhCN: "下面选择的人"}
	msgRemindPeopleCurrent     = flows.Msg{EnUS: "Reminds: %s (pick people to change)", ZhCN: "提醒对象：%s（可另选）"}
	msgRemindPeoplePlaceholder = flows.Msg{EnUS: "People to remind", ZhCN: "提醒哪些人"}
	msgRemindSubmit            = flows.Msg{EnUS: "Set reminder", ZhCN: "设置提醒"}
	msgRemindCreated           = flows.Msg{EnUS: "Reminder set", ZhCN: "提醒已设置"}
	msgRemindWhatRequired      = flows.Msg{EnUS: "Say what to remind of", ZhCN: "请填写提醒内容"}
	msgRemindWhatTooLong       = flows.Msg{EnUS: "Reminder text is too long (at most %d characters)", ZhCN: "提醒内容过长（最多 %d 个字）"}
	msgRemindDateInvalid       = flows.Msg{EnUS: "Pick a date", ZhCN: "请选择日期"}
	msgRemindTimeInvalid       = flows.Msg{EnUS: "Pick a time", ZhCN: "请选择时间"}
	msgRemindDatePast          = flows.Msg{EnUS: "Date is in the past", ZhCN: "日期已过"}
	msgRemindTimePast          = flows.Msg{EnUS: "That time has passed", ZhCN: "该时间已过"}
	msgRemindRepeatInvalid     = flows.Msg{EnUS: "Pick how it repeats", ZhCN: "请选择重复方式"}
	msgRemindNotifyInvalid     = flows.Msg{EnUS: "Pick who is reminded", ZhCN: "请选择提醒对象"}
	msgRemindPeopleRequired    = flows.Msg{EnUS: "Pick at least one person", ZhCN: "请至少选择一人"}
	msgRemindPeopleTooMany     = flows.Msg{EnUS: "At most %d people", ZhCN: "最多 %d 人"}
	msgRemindTitle             = flows.Msg{EnUS: "⏰ Reminder", ZhCN: "⏰ 提醒"}
	msgRemindWhen              = flows.Msg{EnUS: "**When** %s", ZhCN: "**时间** %s"}
	msgRemindRepeats           = flows.Msg{EnUS: "**Repeats** %s", ZhCN: "**重复** %s"}
	msgRemindNotifies          = flows.Msg{EnUS: "**Reminds** %s", ZhCN: "**提醒** %s"}
	msgRemindSetBy             = flows.Msg{EnUS: "Set by %s", ZhCN: "设置人 %s"}
	msgRemindEveryone          = flows.Msg{EnUS: "everyone", ZhCN: "所有人"}
	msgRemindCancelledBy       = flows.Msg{EnUS: "Cancelled by %s at %s", ZhCN: "%s 于 %s 取消"}
	msgRemindSentAt            = flows.Msg{EnUS: "Sent at %s", ZhCN: "已于 %s 提醒"}
	msgRemindCancel            = flows.Msg{EnUS: "Cancel reminder", ZhCN: "取消提醒"}
	msgRemindCancelled         = flows.Msg{EnUS: "Reminder cancelled", ZhCN: "提醒已取消"}
	msgRemindAlreadyCancelled  = flows.Msg{EnUS: "Already cancelled", ZhCN: "已经取消了"}
	msgRemindAlreadySent       = flows.Msg{EnUS: "Already sent", ZhCN: "已经提醒过了"}
	msgRemindCancelNotAllowed  = flows.Msg{EnUS: "Only the member who set this reminder or an admin can cancel it", ZhCN: "只有设置提醒的人或管理员可以取消"}
	msgRemindNotAllowed        = flows.Msg{EnUS: "Only the people this reminder is for can do that", ZhCN: "只有被提醒的人可以操作"}
	msgRemindDueSetBy          = flows.Msg{EnUS: "Due %s · set by %s", ZhCN: "时间 %s · 设置人 %s"}
	msgRemindLate              = flows.Msg{EnUS: "Sent late, at %s", ZhCN: "延迟送达，实际发送于 %s"}
	msgRemindDone              = flows.Msg{EnUS: "Done", ZhCN: "完成"}
	msgRemindSnooze10          = flows.Msg{EnUS: "Snooze 10 min", ZhCN: "10 分钟后再提醒"}
	msgRemindSnooze60          = flows.Msg{EnUS: "Snooze 1 hour", ZhCN: "1 小时后再提醒"}
	msgRemindDoneBy            = flows.Msg{EnUS: "✅ Done by %s at %s", ZhCN: "✅ %s 于 %s 完成"}
	msgRemindSnoozedBy         = flows.Msg{EnUS: "💤 Snoozed by %s until %s", ZhCN: "💤 %s 推迟到 %s"}
	msgRemindSnoozed           = flows.Msg{EnUS: "Snoozed until %s", ZhCN: "已推迟到 %s"}
	msgRemindMarkedDone        = flows.Msg{EnUS: "Marked done", ZhCN: "已完成"}
	msgRemindAlreadyDone       = flows.Msg{EnUS: "Already done", ZhCN: "已经完成了"}
	msgRemindDateTooFar        = flows.Msg{EnUS: "Date is more than a year ahead", ZhCN: "日期不能晚于一年以后"}
	msgRemindPeopleNotUser     = flows.Msg{EnUS: "People to remind: one is not a valid member", ZhCN: "提醒对象中有无效的成员"}
	msgRemindNothingToSnooze   = flows.Msg{EnUS: "Nothing to snooze: this reminder has not gone off, or it is done", ZhCN: "无需推迟：此提醒尚未发出，或已完成"}
	msgRemindNext              = flows.Msg{EnUS: "**Next** %s", ZhCN: "**下次** %s"}
)
