// Package imagefolder writes the metadata.jsonl file that Hugging Face datasets'
// "imagefolder" loader reads beside an image folder, so that
// load_dataset("imagefolder", data_dir=ROOT) exposes each image's sampled shift
// parameters as columns.
//
// The rule, from the datasets and Hub documentation ("Create an image dataset",
// "Image Dataset"): metadata.jsonl sits in the folder it describes; each line is a JSON
// object whose "file_name" is the image's path relative to that folder (the full
// relative path, not just the base name), and every other key becomes a column. When a
// metadata file is present the labels inferred from class folder names are dropped
// unless the loader is called with drop_labels=False.
package imagefolder
