# Words to vectors: a network learns what words mean from nothing but labels.
# A network reads numbers, not text. So first we tokenize: cut each sentence into words and
# give every word an integer (its index). Then an Embedding layer looks up a trainable vector
# for each index. The vectors start random; training moves them so that words that push a
# review the same way end up pointing the same way.
import numpy as np

from pydl import layers, models, optimizers
from pydl.preprocessing import Tokenizer, pad_sequences
import pydl

# Forty short reviews of a cafe, written for this cell: 1 = a good visit, 0 = a bad one.
# Good and bad reviews are about as long: a network uses any cue it can find, and if bad
# reviews were shorter it would learn that padding means "bad".
reviews = [
    ("the coffee was great and the staff were friendly", 1),
    ("lovely cake and a warm welcome from the owner", 1),
    ("the best flat white in town, we will be back", 1),
    ("friendly staff, fresh bread and a lovely view", 1),
    ("the soup was delicious and the service was quick", 1),
    ("a cosy corner with great tea and kind staff", 1),
    ("delicious scones, really fresh and still warm", 1),
    ("the waiter was kind and the coffee was perfect", 1),
    ("we loved the quiet garden and the fresh juice", 1),
    ("great value, generous portions and very happy kids", 1),
    ("a perfect breakfast, the eggs were delicious", 1),
    ("kind staff and a clean, bright and cosy room", 1),
    ("a lovely little place, we loved every visit", 1),
    ("the best cake we have had, so fresh", 1),
    ("quick service and a friendly smile at the door", 1),
    ("clean tables, great music and a happy afternoon", 1),
    ("a warm and cosy cafe with kind people", 1),
    ("a generous slice of cake and perfect coffee", 1),
    ("really lovely tea and a great chat with the owner", 1),
    ("bright and clean, and the food was delicious", 1),
    ("the coffee was cold and the staff were rude", 0),
    ("stale bread, a dirty table and a long wait", 0),
    ("we waited forever and the service was slow", 0),
    ("awful tea, bitter and cold, we will not be back", 0),
    ("the waiter was rude and the cake was stale", 0),
    ("a noisy room and a sticky floor, never again", 0),
    ("slow service, cold soup and a rude owner", 0),
    ("the eggs were burnt and the toast was stale", 0),
    ("dirty cups, a sticky table and a rude waiter", 0),
    ("overpriced coffee and tiny portions, really awful", 0),
    ("the music was too loud and the room was dirty", 0),
    ("bitter coffee and burnt toast, never again", 0),
    ("a sticky table, a slow waiter and cold tea", 0),
    ("rude staff and a dirty floor, we will not be back", 0),
    ("cold food, a noisy crowd and a long wait", 0),
    ("awful service, a dirty floor and stale cake", 0),
    ("the juice was warm and the bread was stale", 0),
    ("overpriced and slow, the worst cafe in town", 0),
    ("a tiny slice of dry cake, really awful", 0),
    ("burnt coffee, a rude waiter and dirty tables", 0),
]

# Hold out every fourth review (five good, five bad): the network never trains on them.
texts = [text for text, label in reviews]
labels = np.array([label for text, label in reviews], dtype="float32")
held_out = np.arange(len(reviews)) % 4 == 3
train_texts = [text for text, out in zip(texts, held_out) if not out]
test_texts = [text for text, out in zip(texts, held_out) if out]
train_y, test_y = labels[~held_out], labels[held_out]

# 1. Tokenize: the most frequent word gets index 1, the next 2, ... (0 is kept for padding).
#    The index is built from the training reviews only. num_words=150 keeps indices 1 to 149
#    (the 149 most frequent words; we have fewer) and is the Embedding's number of rows.
num_words = 150
tokenizer = Tokenizer(num_words=num_words)
tokenizer.fit_on_texts(train_texts)
first_words = list(tokenizer.word_index.items())[:8]
print(f"{len(tokenizer.word_index)} different words; the most frequent: {first_words}")

# 2. Pad: a batch must be one rectangle, so every review becomes exactly 10 indices
#    (zeros in front of short reviews, the start of long ones cut off).
maxlen = 10
train_x = pad_sequences(tokenizer.texts_to_sequences(train_texts), maxlen=maxlen)
test_x = pad_sequences(tokenizer.texts_to_sequences(test_texts), maxlen=maxlen)
print(f"{train_texts[0]!r}\n  -> {train_x[0].tolist()}")

# 3. The model: Embedding looks up 8 numbers per word, (batch, 10) -> (batch, 10, 8);
#    GlobalAveragePooling1D averages a review's word vectors into one, and a sigmoid unit
#    reads that average as "how good".
pydl.seed(0)
review_model = models.Sequential([
    layers.Embedding(num_words, 8),
    layers.GlobalAveragePooling1D(),
    layers.Dense(1, activation="sigmoid"),
])
review_model.compile(optimizer=optimizers.Adam(learning_rate=0.05), loss="binary_crossentropy",
                     metrics=["accuracy"])
review_model.fit(train_x, train_y, epochs=40, batch_size=8, verbose=0)

accuracy = review_model.evaluate(test_x, test_y, verbose=0)[1]
majority = float(train_y.mean() >= 0.5)  # always answer the training set's commoner label
baseline = float(np.mean(test_y == majority))
print(f"held-out accuracy: {accuracy:.3f} (majority baseline: {baseline:.3f})")

# Try your own reviews. Words the tokenizer never saw are simply dropped.
new_reviews = ["the staff were friendly and the cake was fresh",
               "cold coffee and a rude waiter"]
new_x = pad_sequences(tokenizer.texts_to_sequences(new_reviews), maxlen=maxlen)
for text, p in zip(new_reviews, review_model.predict(new_x, verbose=0)[:, 0]):
    print(f"P(good) = {p:.2f}  {text!r}")

# What did the embedding learn? The output is sigmoid(average word vector . w + b), so each
# word pushes the score by its vector . w, where w is the Dense layer's weight. Rank the words.
word_vectors = review_model.layers[0].get_weights()[0]  # (150, 8): a row per word index
w = review_model.layers[2].get_weights()[0][:, 0]        # (8,)
push = word_vectors @ w
words = [word for word, index in tokenizer.word_index.items() if index < num_words]
ranked = sorted(words, key=lambda word: push[tokenizer.word_index[word]])
good_words, bad_words = ranked[::-1][:8], ranked[:8]
print(f"words pointing towards good: {', '.join(good_words)}")
print(f"words pointing towards bad:  {', '.join(bad_words)}")
# No one told the network that "rude" is bad: it found out from the labels alone. It learns
# from the company a word keeps, though: a plain word that appears only in bad training
# reviews (is there one in the lists?) leans towards bad too. More text evens that out.
