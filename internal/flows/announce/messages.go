package announce

import "github.com/botd/botd/internal/flows"

// The texts of /announce, in every language botd writes.
var (
	msgDescribe            = flows.Msg{EnUS: "Post an announcement to the group; members can acknowledge it (admins)", ZhCN: "向群发布公告，成员可以确认已读（管理员）"}
	msgFormTitle           = flows.Msg{EnUS: "New announcement", ZhCN: "新建公告"}
	msgTitleLabel          = flows.Msg{EnUS: "Title", ZhCN: "标题"}
	msgTitlePlaceholder    = flows.Msg{EnUS: "What is it about?", ZhCN: "公告标题"}
	msgBodyLabel           = flows.Msg{EnUS: "Body (markdown)", ZhCN: "正文（支持 markdown）"}
	msgBodyPlaceholder     = flows.Msg{EnUS: "The announcement itself", ZhCN: "公告内容"}
	msgAckPlaceholder      = flows.Msg{EnUS: "Ask members to acknowledge?", ZhCN: "是否请成员确认已读？"}
	msgAckYes              = flows.Msg{EnUS: "Ask members to acknowledge", ZhCN: "请成员确认已读"}
	msgAckNo               = flows.Msg{EnUS: "No acknowledgement", ZhCN: "无需确认"}
	msgDeadlinePlaceholder = flows.Msg{EnUS: "Acknowledge by (optional)", ZhCN: "确认截止时间（可选）"}
	msgPreview             = flows.Msg{EnUS: "Preview", ZhCN: "预览"}
	msgPost                = flows.Msg{EnUS: "Post", ZhCN: "发布"}
	msgPosted              = flows.Msg{EnUS: "Announcement posted", ZhCN: "公告已发布"}
	msgPreviewHeading      = flows.Msg{EnUS: "**Preview**: the group will see", ZhCN: "**预览**：群成员将看到"}
	msgPreviewButtons      = flows.Msg{EnUS: "Members will have a “Got it” button", ZhCN: "成员将看到“知道了”按钮"}
	msgPreviewShown        = flows.Msg{EnUS: "Preview below the form", ZhCN: "预览见表单下方"}
	msgPreviewInvalid      = flows.Msg{EnUS: "Fix the fields marked in red first", ZhCN: "请先修正标红的字段"}
	msgTitleRequired       = flows.Msg{EnUS: "Title is required", ZhCN: "请填写标题"}
	msgTitleTooLong        = flows.Msg{EnUS: "Title is too long (at most %d characters)", ZhCN: "标题过长（最多 %d 个字）"}
	msgBodyTooLong         = flows.Msg{EnUS: "Body is too long (at most %d characters)", ZhCN: "正文过长（最多 %d 个字）"}
	msgBodyInvalid         = flows.Msg{EnUS: "Body is not valid text", ZhCN: "正文无效"}
	msgAckInvalid          = flows.Msg{EnUS: "Acknowledgement is not one of the choices", ZhCN: "确认选项无效"}
	msgDeadlineInvalid     = flows.Msg{EnUS: "Deadline is not a valid date and time", ZhCN: "截止时间无效"}
	msgDeadlinePast        = flows.Msg{EnUS: "Deadline is in the past", ZhCN: "截止时间已过"}
	msgDeadlineTooFar      = flows.Msg{EnUS: "Deadline is more than a year ahead", ZhCN: "截止时间不能晚于一年以后"}
	msgDeadlineNeedsAck    = flows.Msg{EnUS: "Deadline needs members to be asked to acknowledge", ZhCN: "设置截止时间需要请成员确认已读"}
	msgGotIt               = flows.Msg{EnUS: "Got it", ZhCN: "知道了"}
	msgCancel              = flows.Msg{EnUS: "Cancel announcement", ZhCN: "取消公告"}
	msgAckedOf             = flows.Msg{EnUS: "**%d of %d acknowledged**", ZhCN: "**已确认 %d / %d**"}
	msgAcked               = flows.Msg{EnUS: "**%d acknowledged**", ZhCN: "**已确认 %d 人**"}
	msgAckBy               = flows.Msg{EnUS: "Please acknowledge by %s", ZhCN: "请在 %s 前确认"}
	msgClosedOf            = flows.Msg{EnUS: "✅ Closed: **%d of %d acknowledged**", ZhCN: "✅ 已截止：**已确认 %d / %d**"}
	msgClosed              = flows.Msg{EnUS: "✅ Closed: **%d acknowledged**", ZhCN: "✅ 已截止：**已确认 %d 人**"}
	msgCancelledBy         = flows.Msg{EnUS: "Cancelled by %s at %s", ZhCN: "%s 于 %s 取消"}
	msgPostedBy            = flows.Msg{EnUS: "Posted by %s", ZhCN: "发布人 %s"}
	msgThanks              = flows.Msg{EnUS: "Thanks, noted", ZhCN: "已确认，谢谢"}
	msgAlreadyAcked        = flows.Msg{EnUS: "You have already acknowledged", ZhCN: "你已经确认过了"}
	msgOwnAnnouncement     = flows.Msg{EnUS: "This is your announcement: members' acknowledgements are counted", ZhCN: "这是你发布的公告，统计的是其他成员的确认"}
	msgNotOpen             = flows.Msg{EnUS: "This announcement is closed", ZhCN: "此公告已截止"}
	msgAlreadyCancelled    = flows.Msg{EnUS: "Already cancelled", ZhCN: "已经取消了"}
	msgCancelled           = flows.Msg{EnUS: "Announcement cancelled", ZhCN: "公告已取消"}
	msgCancelNotAllowed    = flows.Msg{EnUS: "Only its author or an admin can cancel this announcement", ZhCN: "只有发布人或管理员可以取消此公告"}
	msgNudgeTitle          = flows.Msg{EnUS: "⏰ Please acknowledge", ZhCN: "⏰ 请确认公告"}
	msgNudge               = flows.Msg{EnUS: "%s please read and acknowledge this announcement: %s", ZhCN: "%s 请阅读并确认公告：%s"}
	msgNudgeMore           = flows.Msg{EnUS: "and %d more", ZhCN: "等另外 %d 人"}
)
