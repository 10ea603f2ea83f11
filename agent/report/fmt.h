#ifndef AGENT_REPORT_FMT_H
#define AGENT_REPORT_FMT_H

#include <stdio.h>

#include "agent/ops/ops.h"
#include "agent/report/report.h"

/*
 * A report as a spreadsheet takes it (issue 15): CSV for any program,
 * XLSX for Excel and LibreOffice.  Both lay a report out the same way,
 * top to bottom:
 *
 *   the title ("consultations by client_sex × destination" if the
 *   layout has no name), what is counted, the filters, the period;
 *   an empty line;
 *   the table: a header row (the row dimension's name, the column
 *   dimension's values, "Total"), one row per row value, the "Total"
 *   row; a 1-D report is two columns (value, count), a 0-D one the
 *   count alone;
 *   a 3-D report is one such table per value of its third dimension
 *   (the layer: "quarter: 2026-Q1"), then one for the layer's total,
 *   each headed by its layer and followed by an empty line: the form a
 *   questionnaire's tables have, each printable and checkable by eye,
 *   where a long format (one line per cell) would need a pivot table
 *   before anyone could read it;
 *   an empty line, the suppression note, the consultations left out
 *   (no consent to statistics), the as-of lines (one per center: the
 *   newest change this node holds of it).
 *
 * Counts are numbers; a hidden cell is the text "<5" (a primary: 1..4)
 * or "x" (a complementary one), never its count.  ${lang} picks the
 * catalog's language for the words ("en" or NULL: English).
 */

/*
 * The lines around the table, as a person reads them: report_head()
 * calls ${fn} with the title, what is counted, the filters and the
 * period; report_foot() with the suppression note, the left-out line
 * (if any) and the as-of lines.  A non-zero return of ${fn} stops and
 * is returned.  The terminal and JSON forms may use them too.
 */
typedef int (*report_line_fn)(void *, const char *);
int report_head(const struct report *, const char *, report_line_fn, void *);
int report_foot(const struct report *, const char *, report_line_fn, void *);

/*
 * What the cell at offset ${off} (report_at()) shows: NULL if its count
 * is published, else "<5" or "x".
 */
const char *report_hidden(const struct report *, size_t);

/* Value ${i} of dimension ${d}, or "Total" (in ${lang}) if i == n. */
const char *report_label(const struct report *, size_t, size_t,
    const char *);

/**
 * fmt_csv_sep(arg, sep, e):
 * The separator --csv-sep ${arg} names: "," or ";" (the one Excel wants
 * where the decimal mark is a comma, as in Russian); NULL: ','.  0, or
 * -1 with ${e} (USAGE) naming what it takes.
 */
int fmt_csv_sep(const char *, char *, struct ops_err *);

/**
 * report_csv(f, r, sep, lang, e):
 * Write ${r} to ${f} as CSV (RFC 4180): a UTF-8 byte order mark (so
 * Excel reads the Tajik and Russian letters right), fields separated by
 * ${sep}, quoted when they hold ',' or ';' (either separator), a quote,
 * CR or LF (a quote doubled: agent/codec/csv.h, csv_put()), lines ended
 * by CRLF, counts unquoted.  0, or -1 with ${e}
 * (IO) if ${f} could not be written.
 */
int report_csv(FILE *, const struct report *, char, const char *,
    struct ops_err *);

/**
 * report_xlsx(path, r, lang, e):
 * Write ${r} as an Excel workbook of one sheet to ${path}: the lines
 * above as text (the title bold), header rows bold, counts as numbers,
 * hidden cells as the texts "<5" and "x", columns wide enough for their
 * labels.  It is written to PATH.part and renamed over ${path}, so a
 * reader never sees half a file and a failure leaves ${path} as it was.
 * 0, or -1 with ${e}: IO naming the folder that does not exist or what
 * failed.
 */
int report_xlsx(const char *, const struct report *, const char *,
    struct ops_err *);

#endif /* !AGENT_REPORT_FMT_H */
