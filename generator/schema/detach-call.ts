/**
 * The schema text as the checker should see it: the `defineSessions` callee of the default export
 * blanked out (`defineSessions({...})` → `              ({...})`, and with the options argument
 * `defineSessions({...}, {...})` → `              ({...}, {...})`, a comma expression of the two).
 * Asking for the type of one session's schema inside the call makes the checker resolve the whole
 * call, i.e. check every session, for contextual typing; without the call each session is checked
 * on its own, which lets watch mode re-check only what changed. Same length, same lines: positions
 * stay valid.
 */
import { ts } from "ts-morph";

function unwrap(expression: ts.Expression | undefined): ts.Expression | undefined {
  let current = expression;
  while (
    current &&
    (ts.isAsExpression(current) || ts.isSatisfiesExpression(current) || ts.isParenthesizedExpression(current))
  ) {
    current = current.expression;
  }
  return current;
}

/** `text` with the callee of `export default defineSessions(...)` (or of the variable it names) blanked. */
export function detachDefineCall(text: string, fileName: string): string {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  let expression: ts.Expression | undefined;
  for (const statement of file.statements) {
    if (ts.isExportAssignment(statement) && !statement.isExportEquals)
      expression = unwrap(statement.expression);
  }
  if (expression && ts.isIdentifier(expression)) {
    const name = expression.text;
    expression = undefined;
    for (const statement of file.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.name.text === name)
          expression = unwrap(declaration.initializer);
      }
    }
  }
  if (!expression || !ts.isCallExpression(expression)) return text;
  const count = expression.arguments.length;
  if (count < 1 || count > 2 || expression.arguments.some((argument) => ts.isSpreadElement(argument)))
    return text;
  const start = expression.expression.getStart(file);
  const end = expression.typeArguments ? expression.typeArguments.end + 1 : expression.expression.end;
  let detached = text.slice(0, start) + text.slice(start, end).replace(/[^\n]/g, " ") + text.slice(end);
  // `(a, b,)` is no expression: a trailing comma after the last argument goes too.
  if (expression.arguments.hasTrailingComma) {
    // Scanned, not searched: a comment between the argument and the comma may hold commas too.
    const scanner = ts.createScanner(ts.ScriptTarget.Latest, true);
    scanner.setText(text, expression.arguments[count - 1]!.end);
    scanner.scan();
    const comma = scanner.getTokenStart();
    detached = `${detached.slice(0, comma)} ${detached.slice(comma + 1)}`;
  }
  return detached;
}
