// Starts `quill lsp` for Epistle story files.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const quill = vscode.workspace.getConfiguration("epistle").get("quillPath") || "quill";
  const server = { command: quill, args: ["lsp"] };
  client = new LanguageClient(
    "epistle",
    "Epistle (quill lsp)",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "epistle" }] }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
