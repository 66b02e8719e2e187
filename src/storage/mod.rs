pub mod zip_stream;
