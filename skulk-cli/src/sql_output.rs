//! Rows of record batches as a table, CSV or JSON, written batch by batch.

use std::io::{self, Write};

use serde_json::{Map, Value};
use skulk_datafusion::datafusion::arrow::array::{Array, AsArray, RecordBatch};
use skulk_datafusion::datafusion::arrow::datatypes::{DataType, Float64Type, SchemaRef};
use skulk_datafusion::datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::cli::SqlFormat;
use crate::output::{csv_io, format_value, json_value};

/// Rows a table waits for before it fixes its column widths.
const TABLE_SAMPLE_ROWS: usize = 256;

/// Writes query results in one format as their batches arrive.
pub struct RowWriter<'a> {
    format: SqlFormat,
    schema: SchemaRef,
    out: &'a mut dyn Write,
    /// Table rows waiting for the column widths to be fixed.
    pending: Vec<Vec<Option<String>>>,
    widths: Option<Vec<usize>>,
    rows: u64,
    header_written: bool,
}

impl<'a> RowWriter<'a> {
    /// A writer of rows of `schema` to `out`.
    pub fn new(format: SqlFormat, schema: SchemaRef, out: &'a mut dyn Write) -> Self {
        RowWriter {
            format,
            schema,
            out,
            pending: Vec::new(),
            widths: None,
            rows: 0,
            header_written: false,
        }
    }

    /// Writes a batch's rows (a table may hold its first rows back).
    pub fn batch(&mut self, batch: &RecordBatch) -> io::Result<()> {
        match self.format {
            SqlFormat::Table => {
                for row in text_rows(batch)? {
                    self.table_row(row)?;
                }
            }
            SqlFormat::Csv => {
                self.csv_header()?;
                let mut csv = csv::WriterBuilder::new().from_writer(&mut *self.out);
                for row in text_rows(batch)? {
                    csv.write_record(row.iter().map(|c| c.as_deref().unwrap_or("")))
                        .map_err(csv_io)?;
                }
                csv.flush()?;
                self.rows += batch.num_rows() as u64;
            }
            SqlFormat::Json | SqlFormat::Ndjson => {
                for row in json_rows(batch)? {
                    let text = serde_json::to_string(&Value::Object(row))?;
                    match (self.format, self.rows) {
                        (SqlFormat::Json, 0) => write!(self.out, "[\n{text}")?,
                        (SqlFormat::Json, _) => write!(self.out, ",\n{text}")?,
                        _ => writeln!(self.out, "{text}")?,
                    }
                    self.rows += 1;
                }
                self.out.flush()?;
            }
        }
        Ok(())
    }

    fn csv_header(&mut self) -> io::Result<()> {
        if !self.header_written {
            let mut csv = csv::WriterBuilder::new().from_writer(&mut *self.out);
            csv.write_record(self.schema.fields().iter().map(|f| f.name()))
                .map_err(csv_io)?;
            csv.flush()?;
            self.header_written = true;
        }
        Ok(())
    }

    /// Writes what is held back and closes the output's structure.
    pub fn finish(mut self) -> io::Result<()> {
        match self.format {
            SqlFormat::Table => {
                if self.widths.is_none() {
                    self.fix_widths()?;
                }
                writeln!(
                    self.out,
                    "({} row{})",
                    self.rows,
                    if self.rows == 1 { "" } else { "s" }
                )?;
            }
            SqlFormat::Csv => self.csv_header()?,
            SqlFormat::Json if self.rows == 0 => writeln!(self.out, "[]")?,
            SqlFormat::Json => writeln!(self.out, "\n]")?,
            SqlFormat::Ndjson => {}
        }
        self.out.flush()
    }

    fn table_row(&mut self, row: Vec<Option<String>>) -> io::Result<()> {
        self.rows += 1;
        if self.widths.is_none() {
            self.pending.push(row);
            if self.pending.len() >= TABLE_SAMPLE_ROWS {
                self.fix_widths()?;
            }
            return Ok(());
        }
        self.write_table_row(&row)
    }

    /// Widths from the header and the rows so far; writes them.
    fn fix_widths(&mut self) -> io::Result<()> {
        let mut widths: Vec<usize> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.name().chars().count())
            .collect();
        for row in &self.pending {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(display(cell).chars().count());
            }
        }
        self.widths = Some(widths.clone());
        let header: Vec<Option<String>> = self
            .schema
            .fields()
            .iter()
            .map(|f| Some(f.name().clone()))
            .collect();
        self.write_cells(&header, &widths, false)?;
        let rule: Vec<Option<String>> = widths.iter().map(|w| Some("-".repeat(*w))).collect();
        self.write_cells(&rule, &widths, false)?;
        for row in std::mem::take(&mut self.pending) {
            self.write_table_row(&row)?;
        }
        Ok(())
    }

    fn write_table_row(&mut self, row: &[Option<String>]) -> io::Result<()> {
        // Taken out and put back rather than cloned for every row.
        let widths = self.widths.take().unwrap_or_default();
        let written = self.write_cells(row, &widths, true);
        self.widths = Some(widths);
        written
    }

    fn write_cells(
        &mut self,
        cells: &[Option<String>],
        widths: &[usize],
        align: bool,
    ) -> io::Result<()> {
        let mut line = String::new();
        for (i, width) in widths.iter().enumerate() {
            let cell = display(cells.get(i).unwrap_or(&None));
            let pad = width.saturating_sub(cell.chars().count());
            if i > 0 {
                line.push_str("  ");
            }
            let numeric = self
                .schema
                .fields()
                .get(i)
                .is_some_and(|f| f.data_type().is_numeric());
            if align && numeric {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if i + 1 < widths.len() {
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
        }
        writeln!(self.out, "{}", line.trim_end())
    }
}

fn display(cell: &Option<String>) -> &str {
    cell.as_deref().unwrap_or("NULL")
}

/// Each row's cells as text (`None` for a null): floats as `skulk query`
/// prints them (NaN payloads shown), timestamps in RFC 3339.
fn text_rows(batch: &RecordBatch) -> io::Result<Vec<Vec<Option<String>>>> {
    let options = FormatOptions::default();
    let columns: Vec<Column> = batch
        .columns()
        .iter()
        .map(|c| Column::new(c.as_ref(), &options))
        .collect::<io::Result<_>>()?;
    Ok((0..batch.num_rows())
        .map(|i| columns.iter().map(|c| c.text(i)).collect())
        .collect())
}

/// Each row as a JSON object: numbers as numbers (non-finite floats as
/// strings), everything else as text, nulls as `null`.
fn json_rows(batch: &RecordBatch) -> io::Result<Vec<Map<String, Value>>> {
    let options = FormatOptions::default();
    let schema = batch.schema();
    let columns: Vec<Column> = batch
        .columns()
        .iter()
        .map(|c| Column::new(c.as_ref(), &options))
        .collect::<io::Result<_>>()?;
    Ok((0..batch.num_rows())
        .map(|i| {
            schema
                .fields()
                .iter()
                .zip(&columns)
                .map(|(field, c)| (field.name().clone(), c.json(i)))
                .collect()
        })
        .collect())
}

/// One column and how to show its cells.
struct Column<'a> {
    array: &'a dyn Array,
    formatter: ArrayFormatter<'a>,
}

impl<'a> Column<'a> {
    fn new(array: &'a dyn Array, options: &'a FormatOptions<'a>) -> io::Result<Self> {
        let formatter = ArrayFormatter::try_new(array, options).map_err(io::Error::other)?;
        Ok(Column { array, formatter })
    }

    fn text(&self, i: usize) -> Option<String> {
        if self.array.is_null(i) {
            return None;
        }
        if let Some(floats) = self.array.as_primitive_opt::<Float64Type>() {
            return Some(format_value(floats.value(i)));
        }
        Some(self.formatter.value(i).to_string())
    }

    fn json(&self, i: usize) -> Value {
        if self.array.is_null(i) {
            return Value::Null;
        }
        if let Some(floats) = self.array.as_primitive_opt::<Float64Type>() {
            return json_value(floats.value(i));
        }
        let text = self.formatter.value(i).to_string();
        match self.array.data_type() {
            DataType::Boolean => Value::Bool(text == "true"),
            t if t.is_integer() => text
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or(Value::String(text)),
            t if t.is_floating() => text
                .parse::<f64>()
                .map(json_value)
                .unwrap_or(Value::String(text)),
            _ => Value::String(text),
        }
    }
}
