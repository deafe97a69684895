/**
 * The single pass behind `classifyStatement` (classify.ts): a state machine fed one token at a
 * time by the {@link Lexer}, collecting the flags of every statement in the text.
 */
import {
  DDL_OBJECT,
  DDL_OPERATIONS,
  DDL_TABLE_OBJECT,
  ENDS_LIST,
  EFFECT_FUNCTIONS,
  EXPLAIN_OPERATIONS,
  type FunctionEffect,
  IMPLICIT_COMMIT_OPERATIONS,
  MODIFIER,
  NOT_TABLE,
  READ_ONLY_OPERATIONS,
  SERVER_EFFECT,
  SPECIAL,
  STATEMENT,
  TRANSACTION_VARIABLE,
  TRANSACTION_VARIABLES,
  WITH_MAIN,
  WITH_READ_ONLY_MAIN,
  type WordInfo,
  WORDS,
} from './keywords.js';
import type { Lexer, TokenKind } from './lexer.js';

/** Longest `StatementInfo.summary`, in UTF-16 code units. */
export const SUMMARY_MAX_LENGTH = 255;

/** The single pass: a state machine fed one token at a time. */
export class Scan {
  // Results over the whole text.
  operation = '';
  statements = 0;
  placeholders = 0;
  readOnly = true;
  transactionControl = false;
  implicitCommit = false;
  sessionState = false;
  loadDataLocal = false;
  summary = '';
  private anySavepoint = false;
  private fullTransactionControl = false;
  private summaryFull = false;
  private summaryStatementStart = 0;
  private summaryParts = 0;

  // Per statement.
  private started = false;
  private opKnown = false;
  private op = '';
  private opDepth = 0;
  private pos = 0;
  private depth = 0;
  private p1 = '';
  private p2 = '';
  private disqualified = false;
  private withMain = '';
  private explainAnalyze = false;
  private setStatement = false;
  private transactionSet = false;
  private startTransaction = false;
  private rollbackTo = false;
  private temporary = false;
  private dropPrepare = false;
  private analyzeTable = false;
  private loadIndex = false;
  private loadLocal = false;
  private infile = false;
  private fn: FunctionEffect = SERVER_EFFECT;
  private fnStage = 0;
  private intoPending = false;
  private expectTable = false;
  private listDepth = -1;
  private lastTable = false;
  private qualifyPending = false;
  private ddlObjectSeen = false;

  constructor(private readonly lex: Lexer) {}

  /** Runs the lexer to the end; returns the lexing error, if any. */
  run(): string | undefined {
    const lex = this.lex;
    for (;;) {
      const kind = lex.next();
      if (kind === 'eof') break;
      if (kind === 'error') {
        this.finish();
        this.readOnly = false;
        return lex.error;
      }
      if (kind === 'semicolon') this.finish();
      // Words are looked up in WORDS without materializing their text.
      else this.token(kind, kind === 'word' ? '' : lex.value);
    }
    this.finish();
    if (this.statements === 0) this.readOnly = false;
    return undefined;
  }

  get savepoint(): boolean {
    return this.anySavepoint && !this.fullTransactionControl;
  }

  private token(kind: TokenKind, v: string): void {
    if (!this.started) {
      this.started = true;
      this.statements++;
      this.summaryStatementStart = this.summary.length;
      this.summaryParts = 0;
    }
    if (kind === 'placeholder') this.placeholders++;
    if (!this.opKnown) {
      if (kind === 'punct' && v === '(') {
        this.depth++;
        this.p1 = v;
        return;
      }
      const info = kind === 'word' ? WORDS.get(this.lex) : undefined;
      this.startOperation(info !== undefined && (info.roles & STATEMENT) !== 0 ? info.word : '');
      this.p1 = info === undefined ? '' : info.word;
      return;
    }
    const info = kind === 'word' ? WORDS.get(this.lex) : undefined;
    this.pos++;
    if (this.fnStage !== 0) this.call(kind, v);
    if (this.intoPending) {
      this.intoPending = false;
      // SELECT ... INTO @v (a user variable, not @@system)
      if (kind === 'variable' && v.charCodeAt(1) !== 0x40) this.sessionState = true;
    }
    const wasTable = this.lastTable;
    this.lastTable = false;
    const qualify = this.qualifyPending;
    this.qualifyPending = false;

    switch (kind) {
      case 'word':
        if (qualify) this.extendPart(`.${this.lex.identifier()}`);
        else if (this.expectTable) this.tableCandidate(info);
        if (info !== undefined) this.word(info);
        break;
      case 'quoted_identifier':
        if (qualify) this.extendPart(`.${this.lex.identifier()}`);
        else if (this.expectTable) this.tableName();
        if (!this.setStatement) this.quotedName();
        break;
      case 'punct':
        this.punct(v, wasTable);
        break;
      case 'variable':
        this.expectTable = false;
        if (
          this.op === 'SET' &&
          v.charCodeAt(1) === 0x40 &&
          TRANSACTION_VARIABLES.has(systemVariableName(v))
        ) {
          this.transactionSet = true;
        }
        break;
      default:
        this.expectTable = false;
    }
    this.p2 = this.p1;
    this.p1 = info !== undefined ? info.word : kind === 'punct' ? v : '';
  }

  private startOperation(op: string): void {
    this.opKnown = true;
    this.op = op;
    this.opDepth = this.depth;
    this.pos = 0;
    if (this.statements === 1) this.operation = op;
    // WITH names no table; the statements inside and after it describe the query.
    if (op === '' || op === 'WITH') return;
    this.addPart(op);
    this.targets(op);
  }

  /** Where the table of an operation's summary comes from. */
  private targets(op: string): void {
    switch (op) {
      case 'UPDATE':
        this.listDepth = this.depth;
        this.expectTable = true;
        break;
      case 'INSERT':
      case 'REPLACE':
      case 'TABLE':
      case 'TRUNCATE':
      case 'CALL':
        this.expectTable = true;
        break;
    }
  }

  /** A side-effect function name was seen; is this token the call's `(` (and argument)? */
  private call(kind: TokenKind, v: string): void {
    const stage = this.fnStage;
    this.fnStage = 0;
    if (stage === 1) {
      if (kind !== 'punct' || v !== '(') return;
      if (this.fn.needsArgument) {
        this.fnStage = 2;
        return;
      }
    } else if (kind === 'punct' && v === ')') {
      return;
    }
    this.disqualified = true;
    if (this.fn.sessionState) this.sessionState = true;
  }

  /** A known word (identifiers never get here). */
  private word(info: WordInfo): void {
    const v = info.word;
    const roles = info.roles;
    const op = this.op;
    if (this.setStatement) {
      // SET STATEMENT var=value[, ...] FOR <statement>: classify the inner statement.
      if (v === 'FOR' && this.depth === this.opDepth) {
        this.setStatement = false;
        this.opKnown = false;
        this.summary = this.summary.slice(0, this.summaryStatementStart);
        this.summaryParts = 0;
      }
      return;
    }
    if ((roles & SPECIAL) !== 0) this.special(v, op);
    if (info.effect !== undefined) {
      this.fn = info.effect;
      this.fnStage = 1;
    }
    if (roles === 0) return;
    if ((roles & TRANSACTION_VARIABLE) !== 0 && op === 'SET') this.transactionSet = true;
    if ((roles & WITH_MAIN) !== 0 && op === 'WITH' && this.withMain === '' && this.depth === this.opDepth) {
      this.withMain = v;
      if (v !== 'SELECT') {
        this.addPart(v);
        this.targets(v);
      }
    }
    if ((roles & ENDS_LIST) !== 0 && this.listDepth === this.depth) this.listDepth = -1;
    if ((roles & DDL_OBJECT) !== 0 && !this.ddlObjectSeen && this.pos <= 4 && DDL_OPERATIONS.has(op)) {
      this.ddlObjectSeen = true;
      this.addPart(v);
      if ((roles & DDL_TABLE_OBJECT) !== 0) {
        this.expectTable = true;
        if (op === 'DROP') this.listDepth = this.depth;
      }
    }
  }

  private special(v: string, op: string): void {
    switch (v) {
      case 'SELECT':
        this.addPart(v);
        break;
      case 'FROM':
        this.expectTable = true;
        this.listDepth = this.depth;
        break;
      case 'JOIN':
      case 'STRAIGHT_JOIN':
        this.expectTable = true;
        break;
      case 'INTO':
        this.disqualified = true;
        this.intoPending = true;
        if (op === 'INSERT' || op === 'REPLACE' || op === 'LOAD') this.expectTable = true;
        break;
      case 'UPDATE':
      case 'SHARE':
        if (this.p1 === 'FOR') this.disqualified = true;
        break;
      case 'IN':
        if (this.p1 === 'LOCK') this.disqualified = true; // LOCK IN SHARE MODE
        break;
      case 'FOR':
        // NEXT VALUE FOR seq / PREVIOUS VALUE FOR seq (MariaDB sequences)
        if (this.p1 === 'VALUE' && (this.p2 === 'NEXT' || this.p2 === 'PREVIOUS')) {
          this.disqualified = true;
          if (this.p2 === 'NEXT') this.sessionState = true;
        }
        break;
      case 'ANALYZE':
        this.explainAnalyze = true;
        break;
      case 'TEMPORARY':
        // CREATE [OR REPLACE] TEMPORARY TABLE, DROP TEMPORARY TABLE (not a table named temporary)
        if (this.pos <= 3 && !this.ddlObjectSeen) this.temporary = true;
        break;
      case 'LOCAL':
        if (op === 'LOAD' && !this.infile) this.loadLocal = true;
        break;
      case 'INFILE':
        this.infile = true;
        break;
      case 'STATEMENT':
        if (op === 'SET' && this.pos === 1) this.setStatement = true;
        break;
      case 'TRANSACTION':
        if (op === 'START' && this.pos === 1) this.startTransaction = true;
        break;
      case 'TO':
        if (op === 'ROLLBACK') this.rollbackTo = true;
        break;
      case 'PREPARE':
        if (op === 'DROP' && this.pos === 1) this.dropPrepare = true;
        break;
      case 'INDEX':
        if (op === 'LOAD' && this.pos === 1) this.loadIndex = true;
        break;
      case 'TABLE':
      case 'TABLES':
        if (op === 'ANALYZE' && this.pos <= 2) this.analyzeTable = true;
        break;
    }
  }

  /** The server resolves native functions by name even when quoted: `GET_LOCK`('a', 1). */
  private quotedName(): void {
    const length = this.lex.end - this.lex.start - 2;
    if (length < 6 || length > 33) return; // SETVAL .. WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS
    const effect = EFFECT_FUNCTIONS.get(this.lex.identifier().toUpperCase());
    if (effect !== undefined) {
      this.fn = effect;
      this.fnStage = 1;
    }
  }

  private punct(v: string, wasTable: boolean): void {
    switch (v) {
      case '(':
        // WITH cte AS (...) (SELECT ...): a parenthesized main query
        if (this.op === 'WITH' && this.withMain === '' && this.depth === this.opDepth && this.p1 === ')') {
          this.withMain = 'SELECT';
        }
        this.expectTable = false;
        this.depth++;
        break;
      case ')':
        if (this.depth > 0) this.depth--;
        if (this.listDepth > this.depth) this.listDepth = -1;
        this.expectTable = false;
        break;
      case ',':
        this.expectTable = this.listDepth === this.depth;
        break;
      case '.':
        this.qualifyPending = wasTable;
        break;
      case ':=':
        this.disqualified = true;
        this.sessionState = true;
        this.expectTable = false;
        break;
      default:
        this.expectTable = false;
    }
  }

  private tableCandidate(info: WordInfo | undefined): void {
    const roles = info === undefined ? 0 : info.roles;
    if ((roles & MODIFIER) !== 0) return;
    this.expectTable = false;
    if ((roles & NOT_TABLE) === 0) this.tableName();
  }

  private tableName(): void {
    this.expectTable = false;
    this.addPart(this.lex.identifier());
    this.lastTable = true;
  }

  private addPart(part: string): void {
    if (this.summaryFull) return;
    const separator = this.summary === '' ? '' : this.summaryParts === 0 ? '; ' : ' ';
    if (this.summary.length + separator.length + part.length > SUMMARY_MAX_LENGTH) {
      this.summaryFull = true;
      return;
    }
    this.summary += separator + part;
    this.summaryParts++;
  }

  private extendPart(suffix: string): void {
    if (this.summaryFull) return;
    if (this.summary.length + suffix.length > SUMMARY_MAX_LENGTH) {
      this.summaryFull = true;
      return;
    }
    this.summary += suffix;
  }

  /** End of a statement (`;` or end of text): fold its flags into the results. */
  private finish(): void {
    if (!this.started) return;
    const op = this.op;
    let readOnly: boolean;
    if (op === 'WITH') readOnly = WITH_READ_ONLY_MAIN.has(this.withMain);
    else if (EXPLAIN_OPERATIONS.has(op)) readOnly = !this.explainAnalyze;
    else readOnly = READ_ONLY_OPERATIONS.has(op);
    if (this.disqualified || this.setStatement || this.statements > 1) readOnly = false;
    if (!readOnly) this.readOnly = false;

    switch (op) {
      case 'SET':
        this.sessionState = true;
        if (this.transactionSet) this.transaction(false);
        break;
      case 'START':
        if (this.startTransaction) this.transaction(false);
        this.implicitCommit = true;
        break;
      case 'BEGIN':
        this.transaction(false);
        this.implicitCommit = true;
        break;
      case 'COMMIT':
      case 'XA':
        this.transaction(false);
        break;
      case 'ROLLBACK':
        this.transaction(this.rollbackTo);
        break;
      case 'SAVEPOINT':
      case 'RELEASE':
        this.transaction(true);
        break;
      case 'LOCK':
      case 'UNLOCK':
        this.transaction(false);
        this.sessionState = true;
        this.implicitCommit = true;
        break;
      case 'USE':
      case 'PREPARE':
      case 'EXECUTE':
      case 'DEALLOCATE':
      case 'HANDLER':
      case 'CALL':
        this.sessionState = true;
        break;
      case 'CREATE':
      case 'DROP':
        if (this.temporary || this.dropPrepare) this.sessionState = true;
        else this.implicitCommit = true;
        break;
      case 'ANALYZE':
        if (this.analyzeTable) this.implicitCommit = true;
        break;
      case 'LOAD':
        if (this.loadIndex) this.implicitCommit = true;
        if (this.loadLocal) this.loadDataLocal = true;
        break;
      default:
        if (IMPLICIT_COMMIT_OPERATIONS.has(op)) this.implicitCommit = true;
    }
    this.reset();
  }

  private transaction(savepoint: boolean): void {
    this.transactionControl = true;
    if (savepoint) this.anySavepoint = true;
    else this.fullTransactionControl = true;
  }

  private reset(): void {
    this.started = false;
    this.opKnown = false;
    this.op = '';
    this.opDepth = 0;
    this.pos = 0;
    this.depth = 0;
    this.p1 = '';
    this.p2 = '';
    this.disqualified = false;
    this.withMain = '';
    this.explainAnalyze = false;
    this.setStatement = false;
    this.transactionSet = false;
    this.startTransaction = false;
    this.rollbackTo = false;
    this.temporary = false;
    this.dropPrepare = false;
    this.analyzeTable = false;
    this.loadIndex = false;
    this.loadLocal = false;
    this.infile = false;
    this.fnStage = 0;
    this.intoPending = false;
    this.expectTable = false;
    this.listDepth = -1;
    this.lastTable = false;
    this.qualifyPending = false;
    this.ddlObjectSeen = false;
  }
}

/** `@@SESSION.AUTOCOMMIT` -> `AUTOCOMMIT` (input uppercased, starting with `@@`). */
function systemVariableName(variable: string): string {
  const dot = variable.indexOf('.');
  return dot < 0 ? variable.slice(2) : variable.slice(dot + 1);
}
