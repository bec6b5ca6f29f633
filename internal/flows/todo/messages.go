package todo

import "github.com/botd/botd/internal/flows"

// The texts of /todo, in every language botd writes.
var (
	msgTodoDescribe            = flows.Msg{EnUS: "Create a todo; a title and an @mention after the command fill in the form. /todo list shows the open ones", ZhCN: "创建待办；命令后的标题和 @成员 会预填表单。/todo list 列出未完成的待办"}
	msgTodoFormTitle           = flows.Msg{EnUS: "New todo", ZhCN: "新建待办"}
	msgTodoTitleLabel          = flows.Msg{EnUS: "Title", ZhCN: "标题"}
	msgTodoTitlePlaceholder    = flows.Msg{EnUS: "What needs doing?", ZhCN: "要做什么？"}
	msgTodoAssigneeCurrent     = flows.Msg{EnUS: "Assignee: %s", ZhCN: "负责人：%s"}
	msgTodoAssigneePlaceholder = flows.Msg{EnUS: "Assignee (optional)", ZhCN: "负责人（可选）"}
	msgTodoDuePlaceholder      = flows.Msg{EnUS: "Due date (optional)", ZhCN: "截止日期（可选）"}
	msgTodoNotesLabel          = flows.Msg{EnUS: "Notes", ZhCN: "备注"}
	msgTodoNotesPlaceholder    = flows.Msg{EnUS: "Details (optional)", ZhCN: "详细说明（可选）"}
	msgTodoSubmit              = flows.Msg{EnUS: "Create todo", ZhCN: "创建待办"}
	msgTodoCreated             = flows.Msg{EnUS: "Todo created", ZhCN: "待办已创建"}
	msgTodoTitleRequired       = flows.Msg{EnUS: "Title is required", ZhCN: "请填写标题"}
	msgTodoTitleTooLong        = flows.Msg{EnUS: "Title is too long (at most %d characters)", ZhCN: "标题过长（最多 %d 个字）"}
	msgTodoAssigneeInvalid     = flows.Msg{EnUS: "Assignee is not a valid member", ZhCN: "负责人无效"}
	msgTodoDueInvalid          = flows.Msg{EnUS: "Due date is not a valid date", ZhCN: "截止日期无效"}
	msgTodoDuePast             = flows.Msg{EnUS: "Due date is in the past", ZhCN: "截止日期已过"}
	msgTodoNotesTooLong        = flows.Msg{EnUS: "Notes are too long (at most %d characters)", ZhCN: "备注过长（最多 %d 个字）"}
	msgTodoAssignee            = flows.Msg{EnUS: "**Assignee** %s", ZhCN: "**负责人** %s"}
	msgTodoDue                 = flows.Msg{EnUS: "**Due** %s", ZhCN: "**截止日期** %s"}
	msgTodoCreatedBy           = flows.Msg{EnUS: "Created by %s", ZhCN: "创建人 %s"}
	msgTodoMarkDone            = flows.Msg{EnUS: "Mark done", ZhCN: "标记完成"}
	msgTodoReopen              = flows.Msg{EnUS: "Reopen", ZhCN: "重新打开"}
	msgTodoDoneBy              = flows.Msg{EnUS: "✅ Done by %s at %s", ZhCN: "✅ %s 于 %s 完成"}
	msgTodoMarkedDone          = flows.Msg{EnUS: "Marked done", ZhCN: "已标记完成"}
	msgTodoReopened            = flows.Msg{EnUS: "Reopened", ZhCN: "已重新打开"}
	msgTodoAlreadyDone         = flows.Msg{EnUS: "Already done", ZhCN: "已经完成了"}
	msgTodoAlreadyOpen         = flows.Msg{EnUS: "Already open", ZhCN: "已经是未完成状态"}
	msgTodoNotAllowed          = flows.Msg{EnUS: "Only the assignee, the creator or an admin can change this todo", ZhCN: "只有负责人、创建人或管理员可以修改此待办"}
	msgTodoDueTitle            = flows.Msg{EnUS: "⏰ Todo due today", ZhCN: "⏰ 待办今天到期"}
	msgTodoDueNudge            = flows.Msg{EnUS: "%s this todo is due today", ZhCN: "%s 这个待办今天到期"}
	msgTodoListTitle           = flows.Msg{EnUS: "Open todos (%d)", ZhCN: "未完成的待办（%d）"}
	msgTodoListEmpty           = flows.Msg{EnUS: "No open todos in this chat", ZhCN: "本群没有未完成的待办"}
	msgTodoListPage            = flows.Msg{EnUS: "Page %d of %d", ZhCN: "第 %d 页，共 %d 页"}
	msgTodoListPrev            = flows.Msg{EnUS: "Previous", ZhCN: "上一页"}
	msgTodoListNext            = flows.Msg{EnUS: "Next", ZhCN: "下一页"}
	msgTodoListNoAssignee      = flows.Msg{EnUS: "**Assignee** none", ZhCN: "**负责人** 无"}
	msgTodoDueTooFar           = flows.Msg{EnUS: "Due date is more than a year ahead", ZhCN: "截止日期不能晚于一年以后"}
	msgTodoNotesInvalid        = flows.Msg{EnUS: "Notes are not valid text", ZhCN: "备注无效"}
)
