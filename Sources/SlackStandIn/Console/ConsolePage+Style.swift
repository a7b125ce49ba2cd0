extension ConsolePage {
    static let style = """
        * { box-sizing: border-box; }
        body { margin: 0; display: flex; height: 100vh; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1c1d; }
        #sidebar { width: 250px; background: #3f0e40; color: #e8dfe8; padding: 16px; overflow-y: auto; }
        #sidebar h1 { font-size: 18px; margin: 0 0 16px; color: #fff; }
        #sidebar h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; margin: 20px 0 6px; opacity: .8; }
        #sidebar select { width: 100%; padding: 4px; margin-top: 4px; }
        #sidebar ul { list-style: none; margin: 0; padding: 0; }
        #sidebar li button { width: 100%; text-align: left; background: none; border: 0; color: inherit; padding: 4px 8px; border-radius: 4px; font: inherit; cursor: pointer; }
        #sidebar li button.current { background: #1164a3; color: #fff; }
        #sidebar .note { font-size: 12px; opacity: .7; margin-top: 24px; }
        main { flex: 1; display: flex; flex-direction: column; min-width: 0; }
        #conversation-name { font-weight: 700; padding: 12px 20px; border-bottom: 1px solid #ddd; }
        #messages { flex: 1; overflow-y: auto; padding: 12px 20px; }
        .message { padding: 8px 0; border-bottom: 1px solid #f1f1f1; }
        .message .meta { font-size: 12px; color: #616061; }
        .message .author { font-weight: 700; color: #1d1c1d; margin-right: 6px; }
        .thread { margin: 6px 0 0 24px; padding-left: 12px; border-left: 3px solid #ddd; }
        .ephemeral { background: #f8f8f8; border-left: 3px solid #1264a3; padding: 8px 12px; margin: 8px 0; }
        .ephemeral .meta::after { content: " · Only visible to you"; }
        h3.header { font-size: 17px; margin: 4px 0; }
        .section { margin: 4px 0; white-space: normal; }
        .fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; margin: 4px 0; }
        .context { font-size: 13px; color: #616061; margin: 4px 0; }
        pre { background: #f8f8f8; border: 1px solid #e1e1e1; border-radius: 4px; padding: 8px; overflow-x: auto; font-size: 13px; margin: 4px 0; }
        code { background: #f2f2f2; border-radius: 3px; padding: 0 3px; font-size: 13px; }
        .actions button, .accessory button { margin: 4px 8px 4px 0; padding: 4px 12px; border: 1px solid #bbb; border-radius: 4px; background: #fff; font: inherit; cursor: pointer; }
        .actions button.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
        .actions button.danger { color: #e01e5a; border-color: #e01e5a; }
        table.block-table { border-collapse: collapse; margin: 4px 0; font-size: 13px; }
        table.block-table td { border: 1px solid #ddd; padding: 2px 8px; }
        table.block-table td.number { text-align: right; font-variant-numeric: tabular-nums; }
        .file { display: inline-block; border: 1px solid #ddd; border-radius: 6px; padding: 6px 10px; margin: 4px 8px 4px 0; }
        #refusals:empty { display: none; }
        #refusals { background: #fff4f4; border-top: 1px solid #e01e5a; padding: 8px 20px; font-size: 13px; max-height: 120px; overflow-y: auto; }
        .error { color: #e01e5a; font-size: 13px; margin: 2px 0; }
        #composer-form { display: flex; gap: 8px; padding: 12px 20px 0; }
        #composer { flex: 1; padding: 8px; font: 14px ui-monospace, monospace; border: 1px solid #bbb; border-radius: 6px; }
        #composer-error { padding: 0 20px 8px; min-height: 1em; }
        #modal-backdrop { position: fixed; inset: 0; background: rgba(0,0,0,.45); display: flex; align-items: center; justify-content: center; }
        #modal-backdrop[hidden] { display: none; }
        #modal { background: #fff; width: 560px; max-height: 90vh; overflow-y: auto; border-radius: 8px; padding: 0 20px 16px; }
        #modal-title { font-weight: 700; font-size: 18px; padding: 16px 0; }
        #modal label { display: block; font-weight: 700; margin: 12px 0 4px; }
        #modal textarea, #modal input, #modal select { width: 100%; padding: 6px; font: inherit; }
        #modal textarea { min-height: 70px; font-family: ui-monospace, monospace; }
        #modal footer { display: flex; justify-content: flex-end; gap: 8px; margin-top: 16px; }
        """
}
