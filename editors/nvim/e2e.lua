-- A real editor against `quill lsp`: Neovim's built-in LSP client, headless.
-- Opens a copy of the tutorial, introduces a typo, waits for the diagnostic, jumps to
-- a definition, completes a node id, renames a node across files, applies a quick
-- fix. Run by .ci/editor-e2e.sh:
--   QUILL=path/to/quill STORY=path/to/copy OUT=result.txt nvim --headless -u NONE -i NONE -c "luafile e2e.lua"
local quill, story, out_path = os.getenv("QUILL"), os.getenv("STORY"), os.getenv("OUT")
if os.getenv("LSP_LOG") then vim.lsp.set_log_level("debug") end
local lines_out = {}
local function say(s) table.insert(lines_out, s) end
local function finish(ok)
  say(ok and "RESULT ok" or "RESULT failed")
  local f = io.open(out_path, "w")
  f:write(table.concat(lines_out, "\n") .. "\n")
  f:close()
  vim.cmd("qa!")
end
local function check(cond, what)
  if not cond then
    say("FAIL " .. what)
    error(what)
  end
  say("ok   " .. what)
end
-- The line and column (0-based) of `needle` in the buffer.
local function find(buf, needle)
  for i, l in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local c = l:find(needle, 1, true)
    if c then return i - 1, c - 1 end
  end
  error("not found: " .. needle)
end
local function request(buf, method, line, col, extra)
  local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = line, character = col } }
  for k, v in pairs(extra or {}) do params[k] = v end
  local res = vim.lsp.buf_request_sync(buf, method, params, 5000)
  for _, r in pairs(res or {}) do
    if r.result then return r.result end
    if r.err then say("  error: " .. vim.inspect(r.err)) end
  end
  return nil
end

-- Neovim's diagnostics back as LSP diagnostics (0.7 keeps the server's in user_data).
local function to_lsp(diags)
  if vim.lsp.diagnostic.from then return vim.lsp.diagnostic.from(diags) end
  local out = {}
  for _, d in ipairs(diags) do
    local lsp = (d.user_data and d.user_data.lsp) or {}
    table.insert(out, {
      range = { start = { line = d.lnum, character = d.col }, ["end"] = { line = d.end_lnum, character = d.end_col } },
      message = d.message, severity = d.severity, code = lsp.code or d.code, data = lsp.data,
    })
  end
  return out
end

local ok, err = pcall(function()
  vim.cmd("edit " .. story .. "/01-shore.ron")
  local buf = vim.api.nvim_get_current_buf()
  local id = vim.lsp.start_client({ name = "quill", cmd = { quill, "lsp" }, root_dir = story })
  check(id ~= nil, "the server starts")
  vim.lsp.buf_attach_client(buf, id)
  vim.wait(5000, function() local c = vim.lsp.get_client_by_id(id); return c ~= nil and c.initialized end, 50)

  -- 1. A typo gets a diagnostic, with its "did you mean".
  local l, c = find(buf, 'to: "causeway"')
  local text = vim.api.nvim_buf_get_lines(buf, l, l + 1, false)[1]
  vim.api.nvim_buf_set_lines(buf, l, l + 1, false, { (text:gsub('to: "causeway"', 'to: "causway"')) })
  local got = vim.wait(5000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
  local diags = vim.diagnostic.get(buf)
  check(got and diags[1].message:find("causway", 1, true) ~= nil, "a typo is reported: " .. (diags[1] and diags[1].message:gsub("\n", " ") or "nothing"))
  check(diags[1].lnum == l, "at the line of the typo")

  -- 2. The quick fix turns it back.
  local actions = request(buf, "textDocument/codeAction", l, c, {
    range = { start = { line = diags[1].lnum, character = diags[1].col }, ["end"] = { line = diags[1].end_lnum, character = diags[1].end_col } },
    context = { diagnostics = to_lsp(diags) },
  })
  check(actions and actions[1] and actions[1].title:find("causeway", 1, true), "a quick fix offers `causeway`")
  vim.lsp.util.apply_workspace_edit(actions[1].edit, "utf-16")
  check(vim.wait(5000, function() return #vim.diagnostic.get(buf) == 0 end, 50), "the fix clears the diagnostic")

  -- 3. Go to definition: `to: "wait"` jumps to the node `wait`.
  local wl, wc = find(buf, 'to: "wait"')
  local def = request(buf, "textDocument/definition", wl, wc + 6)
  local loc = def and (def[1] or def)
  local dl = find(buf, 'id: "wait"')
  check(loc and loc.range.start.line == dl, "definition of `wait` is its node")

  -- 4. Completion of a node id inside `to: "`.
  local items = request(buf, "textDocument/completion", wl, wc + 5)
  local labels = {}
  for _, it in ipairs(items and (items.items or items) or {}) do labels[it.label] = true end
  check(labels["causeway"] and labels["lamp_room"], "node ids are completed, across files")

  -- 5. Rename `drift_end` (defined here, used in 02-tower.ron) everywhere.
  local rl, rc = find(buf, 'id: "drift_end"')
  local edit = request(buf, "textDocument/rename", rl, rc + 6, { newName = "adrift" })
  check(edit ~= nil, "rename returns an edit")
  vim.lsp.util.apply_workspace_edit(edit, "utf-16")
  vim.cmd("silent! wall")
  local function slurp(p) local f = io.open(p); local s = f:read("*a"); f:close(); return s end
  local one, two = slurp(story .. "/01-shore.ron"), slurp(story .. "/02-tower.ron")
  check(one:find('id: "adrift"', 1, true) and not one:find("drift_end", 1, true), "renamed in the defining file")
  check(two:find('to: "adrift"', 1, true) and not two:find("drift_end", 1, true), "renamed in the other file")
  vim.wait(300)
  check(#vim.diagnostic.get(buf) == 0, "the renamed story is still clean")
end)
if not ok then say("error: " .. tostring(err)) end
finish(ok)
