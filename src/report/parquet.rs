//! Parquet output of the row exports (`access`, `findings`, `escalation`): the CSV's rows, in
//! the CSV's order, as typed columns.
//!
//! The writer takes the very fields the CSV writer formats (so the two can never disagree on a
//! value) and turns each column into its Parquet type: STRING for text (dictionary-encoded; a
//! column whose values are nearly all distinct, like `path`, falls back to plain pages once its
//! dictionary reaches the page limit), BOOLEAN for `true`/`false`, INT64 for counts. Columns that
//! the contract allows to be empty (names, sources, the scope of a finding, ...) are OPTIONAL and
//! an empty cell becomes a null; key columns are REQUIRED and keep an empty string as it is.
//!
//! Rows arrive in chunks built by worker threads ([`RowChunk`], column buffers with no allocation
//! per value); the chunks of one batch become one row group, compressed with zstd. Only the
//! batch being encoded is held, so memory is bounded by the batch, not the export. It uses the
//! low-level `SerializedFileWriter`: no Arrow arrays are needed for flat columns of strings,
//! booleans and integers, and the dependency stays small.

use std::io::{self, Write};
use std::sync::Arc;

use bytes::Bytes;
use parquet::basic::{Compression, IntType, LogicalType, Repetition, Type as Physical, ZstdLevel};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{Type, TypePtr};

use super::csv::Columns;
use super::output::{Output, OutputError};

/// The zstd level of every column: level 3 compresses the access export about as well as
/// higher levels at a fraction of their time.
const ZSTD_LEVEL: i32 = 3;

/// What a CSV column becomes in Parquet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// STRING, REQUIRED: an empty cell stays an empty string.
    Text,
    /// STRING, OPTIONAL: an empty cell is a null.
    OptionalText,
    /// BOOLEAN, REQUIRED, from `true` / `false`.
    Boolean,
    /// INT64, REQUIRED, from decimal digits.
    Int64,
}

/// An export's columns: its CSV header and the kind of each column, in header order.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    pub header: &'static str,
    pub kinds: &'static [Kind],
}

/// Errors writing Parquet.
#[derive(Debug, thiserror::Error)]
pub enum ParquetError {
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("cannot write Parquet to {name}")]
    Encode {
        name: String,
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A cell that does not parse as its column's type (a bug in the export, never user input).
    #[error("column `{column}`: `{value}` is not {expected}")]
    Value {
        column: String,
        value: String,
        expected: &'static str,
    },
    /// `--columns` named a column twice: Parquet needs distinct column names.
    #[error("--columns: `{0}` is named twice; a Parquet file needs distinct column names")]
    DuplicateColumn(String),
}

/// The selected columns of a table: position in the CSV record, name and kind.
#[derive(Clone, Debug)]
pub struct Layout {
    picks: Vec<(usize, &'static str, Kind)>,
}

impl Layout {
    /// All columns of `table`, or the `columns` selection of them, in its order.
    pub fn new(table: Table, columns: Option<&Columns>) -> Result<Layout, ParquetError> {
        let names: Vec<&'static str> = table.header.split(',').collect();
        let idx: Vec<usize> = match columns {
            Some(c) => c.indices().to_vec(),
            None => (0..names.len()).collect(),
        };
        let mut picks = Vec::with_capacity(idx.len());
        for i in idx {
            let name = names[i];
            if picks.iter().any(|&(_, n, _)| n == name) {
                return Err(ParquetError::DuplicateColumn(name.to_string()));
            }
            let kind = table.kinds.get(i).copied().unwrap_or(Kind::Text);
            picks.push((i, name, kind));
        }
        Ok(Layout { picks })
    }

    fn schema(&self) -> Result<TypePtr, parquet::errors::ParquetError> {
        let mut fields = Vec::with_capacity(self.picks.len());
        for &(_, name, kind) in &self.picks {
            let (physical, logical, repetition) = match kind {
                Kind::Text => (
                    Physical::BYTE_ARRAY,
                    Some(LogicalType::String),
                    Repetition::REQUIRED,
                ),
                Kind::OptionalText => (
                    Physical::BYTE_ARRAY,
                    Some(LogicalType::String),
                    Repetition::OPTIONAL,
                ),
                Kind::Boolean => (Physical::BOOLEAN, None, Repetition::REQUIRED),
                Kind::Int64 => (
                    Physical::INT64,
                    Some(LogicalType::Integer(IntType {
                        bit_width: 64,
                        is_signed: true,
                    })),
                    Repetition::REQUIRED,
                ),
            };
            let t = Type::primitive_type_builder(name, physical)
                .with_repetition(repetition)
                .with_logical_type(logical)
                .build()?;
            fields.push(Arc::new(t));
        }
        Ok(Arc::new(
            Type::group_type_builder("schema")
                .with_fields(fields)
                .build()?,
        ))
    }
}

enum ColumnBuf {
    /// Values back to back in `data`, each ending at `ends[k]`; `defs` (OPTIONAL columns only)
    /// holds 1 for a value and 0 for a null.
    Text {
        data: Vec<u8>,
        ends: Vec<usize>,
        defs: Option<Vec<i16>>,
    },
    Boolean(Vec<bool>),
    Int64(Vec<i64>),
}

/// Rows of one chunk, column by column. Filled by one worker; the first bad cell is kept and
/// reported when the chunk is written.
pub struct RowChunk {
    layout: Arc<Layout>,
    cols: Vec<ColumnBuf>,
    rows: u64,
    error: Option<ParquetError>,
}

impl RowChunk {
    /// An empty chunk with room for about `rows` rows.
    pub fn new(layout: &Arc<Layout>, rows: usize) -> RowChunk {
        let cols = layout
            .picks
            .iter()
            .map(|&(_, _, kind)| match kind {
                Kind::Text | Kind::OptionalText => ColumnBuf::Text {
                    data: Vec::with_capacity(rows * 16),
                    ends: Vec::with_capacity(rows),
                    defs: (kind == Kind::OptionalText).then(|| Vec::with_capacity(rows)),
                },
                Kind::Boolean => ColumnBuf::Boolean(Vec::with_capacity(rows)),
                Kind::Int64 => ColumnBuf::Int64(Vec::with_capacity(rows)),
            })
            .collect();
        RowChunk {
            layout: Arc::clone(layout),
            cols,
            rows: 0,
            error: None,
        }
    }

    /// Rows in the chunk.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Appends one row, given as the CSV record's fields (all of them, in header order).
    pub fn push(&mut self, fields: &[&str]) {
        for (col, &(i, name, _)) in self.cols.iter_mut().zip(&self.layout.picks) {
            let v = fields.get(i).copied().unwrap_or("");
            match col {
                ColumnBuf::Text { data, ends, defs } => match defs {
                    Some(d) if v.is_empty() => d.push(0),
                    _ => {
                        data.extend_from_slice(v.as_bytes());
                        ends.push(data.len());
                        if let Some(d) = defs {
                            d.push(1);
                        }
                    }
                },
                ColumnBuf::Boolean(b) => match v {
                    "true" => b.push(true),
                    "false" => b.push(false),
                    _ => {
                        b.push(false);
                        self.error
                            .get_or_insert_with(|| bad(name, v, "true or false"));
                    }
                },
                ColumnBuf::Int64(n) => match v.parse::<i64>() {
                    Ok(x) => n.push(x),
                    Err(_) => {
                        n.push(0);
                        self.error.get_or_insert_with(|| bad(name, v, "an integer"));
                    }
                },
            }
        }
        self.rows += 1;
    }
}

fn bad(column: &str, value: &str, expected: &'static str) -> ParquetError {
    ParquetError::Value {
        column: column.to_string(),
        value: value.to_string(),
        expected,
    }
}

/// Where the encoded bytes go: the report's [`Output`]. Its typed error is kept aside, since the
/// Parquet writer only passes `io::Error`s through.
struct Sink<'o> {
    out: &'o mut Output,
    error: Option<OutputError>,
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.out.write_all(buf) {
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                self.error = Some(e);
                Err(io::Error::other("output failed"))
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A Parquet file being written to an [`Output`]: one row group per [`ParquetWriter::write`].
pub struct ParquetWriter<'o> {
    file: SerializedFileWriter<Sink<'o>>,
    layout: Arc<Layout>,
    name: String,
    rows: u64,
}

impl<'o> ParquetWriter<'o> {
    /// Starts a file with `layout`'s columns.
    pub fn new(layout: Layout, out: &'o mut Output) -> Result<ParquetWriter<'o>, ParquetError> {
        let name = out.name();
        let encode = |source| ParquetError::Encode {
            name: name.clone(),
            source,
        };
        let schema = layout.schema().map_err(encode)?;
        let level = ZstdLevel::try_new(ZSTD_LEVEL).map_err(encode)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_dictionary_enabled(true)
            // Fixed, so that two runs give the same bytes whatever the parquet crate's version.
            .set_created_by(format!("p1graph {}", env!("CARGO_PKG_VERSION")))
            .build();
        let sink = Sink { out, error: None };
        let file = SerializedFileWriter::new(sink, schema, Arc::new(props)).map_err(encode)?;
        Ok(ParquetWriter {
            file,
            layout: Arc::new(layout),
            name,
            rows: 0,
        })
    }

    /// The layout chunks for this file are built with.
    pub fn layout(&self) -> &Arc<Layout> {
        &self.layout
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn fail(&mut self, source: parquet::errors::ParquetError) -> ParquetError {
        match self.file.inner_mut().error.take() {
            Some(e) => ParquetError::Output(e),
            None => ParquetError::Encode {
                name: self.name.clone(),
                source,
            },
        }
    }

    /// Writes `chunks`, in order, as one row group (nothing when they hold no row).
    pub fn write(&mut self, mut chunks: Vec<RowChunk>) -> Result<(), ParquetError> {
        for c in &mut chunks {
            if let Some(e) = c.error.take() {
                return Err(e);
            }
        }
        let rows: u64 = chunks.iter().map(|c| c.rows).sum();
        if rows == 0 {
            return Ok(());
        }
        self.write_group(&mut chunks).map_err(|e| self.fail(e))?;
        self.rows += rows;
        Ok(())
    }

    fn write_group(
        &mut self,
        chunks: &mut [RowChunk],
    ) -> Result<(), parquet::errors::ParquetError> {
        let mut group = self.file.next_row_group()?;
        let mut c = 0;
        let mut values: Vec<ByteArray> = Vec::new();
        while let Some(mut col) = group.next_column()? {
            for chunk in chunks.iter_mut() {
                match &mut chunk.cols[c] {
                    ColumnBuf::Text { data, ends, defs } => {
                        // One shared buffer per chunk; each value is a slice of it.
                        let bytes = Bytes::from(std::mem::take(data));
                        values.clear();
                        let mut start = 0;
                        for &end in ends.iter() {
                            values.push(ByteArray::from(bytes.slice(start..end)));
                            start = end;
                        }
                        col.typed::<ByteArrayType>()
                            .write_batch(&values, defs.as_deref(), None)?;
                        values.clear();
                    }
                    ColumnBuf::Boolean(b) => {
                        col.typed::<BoolType>().write_batch(b, None, None)?;
                    }
                    ColumnBuf::Int64(n) => {
                        col.typed::<Int64Type>().write_batch(n, None, None)?;
                    }
                }
            }
            col.close()?;
            c += 1;
        }
        group.close()?;
        Ok(())
    }

    /// Writes the footer. The [`Output`] is then finished by its owner.
    pub fn finish(mut self) -> Result<u64, ParquetError> {
        if let Err(e) = self.file.finish() {
            return Err(self.fail(e));
        }
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: Table = Table {
        header: "name,enabled,steps,note",
        kinds: &[Kind::Text, Kind::Boolean, Kind::Int64, Kind::OptionalText],
    };

    #[test]
    fn a_selection_naming_a_column_twice_is_refused() {
        let c = Columns::parse("name,name", TABLE.header).unwrap();
        let e = Layout::new(TABLE, Some(&c)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--columns: `name` is named twice; a Parquet file needs distinct column names"
        );
    }

    #[test]
    fn a_cell_that_is_not_its_type_is_an_error_naming_the_column() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Output::create(Some(&dir.path().join("x.parquet"))).unwrap();
        let mut w = ParquetWriter::new(Layout::new(TABLE, None).unwrap(), &mut out).unwrap();
        let mut chunk = RowChunk::new(w.layout(), 2);
        chunk.push(&["a", "true", "1", ""]);
        chunk.push(&["b", "yes", "2", "n"]);
        let e = w.write(vec![chunk]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "column `enabled`: `yes` is not true or false"
        );
    }

    #[test]
    fn the_schema_types_each_column() {
        let c = Columns::parse("steps,note,enabled,name", TABLE.header).unwrap();
        let schema = Layout::new(TABLE, Some(&c)).unwrap().schema().unwrap();
        let mut text = Vec::new();
        parquet::schema::printer::print_schema(&mut text, &schema);
        let text = String::from_utf8(text).unwrap();
        assert_eq!(
            text.trim(),
            "message schema {\n  REQUIRED INT64 steps (INTEGER(64,true));\n  OPTIONAL BYTE_ARRAY note (STRING);\n  REQUIRED BOOLEAN enabled;\n  REQUIRED BYTE_ARRAY name (STRING);\n}"
        );
    }
}
