VALUE = "compiled at import: no bytecode was shipped for me"
