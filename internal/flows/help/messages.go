package help

import "github.com/botd/botd/internal/flows"

// The texts of /help, in every language botd writes.
var (
	msgHelpDescribe   = flows.Msg{EnUS: "List the commands", ZhCN: "列出所有命令"}
	msgHelpTitle      = flows.Msg{EnUS: "Commands", ZhCN: "命令"}
	msgHelpLine       = flows.Msg{EnUS: "**/%s** · %s", ZhCN: "**/%s** · %s"}
	msgUnknownCommand = flows.Msg{EnUS: "Unknown command /%s. Try /help", ZhCN: "未知命令 /%s。试试 /help"}
)
