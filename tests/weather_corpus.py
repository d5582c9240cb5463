"""A tiny hand-written corpus for text-classification tests: short remarks about the weather, 1 for a pleasant day
and 0 for an unpleasant one, 22 of each. Written for these tests; no outside data."""

PLEASANT = [
    "What a sunny and warm morning!",
    "The sky is clear and bright today.",
    "Lovely weather for a walk in the park.",
    "Warm sunshine all afternoon, just perfect.",
    "A bright, pleasant day at the beach.",
    "The sun is out and the air is mild.",
    "Beautiful blue sky over the hills.",
    "Such a nice, calm and sunny evening.",
    "Perfect weather for a picnic.",
    "Clear skies and a gentle warm breeze.",
    "The garden looks lovely in the sunshine.",
    "A glorious summer day, warm and bright.",
    "Mild and sunny, great for cycling.",
    "We enjoyed a pleasant, sunny weekend.",
    "Blue skies and sunshine until sunset.",
    "What a beautiful and bright spring day.",
    "The warm sun made the walk a joy.",
    "Calm sea, clear sky, perfect for sailing.",
    "A lovely mild evening on the terrace.",
    "Sunny spells and a warm, gentle wind.",
    "Great weather, bright and pleasant all day.",
    "The morning was clear, calm and beautiful.",
]

UNPLEASANT = [
    "Cold rain all day, what a miserable morning.",
    "The sky is grey and gloomy again.",
    "Awful weather, freezing wind and sleet.",
    "A storm is coming with heavy rain.",
    "Dark clouds and a cold, wet afternoon.",
    "The streets flooded after the downpour.",
    "Terrible fog made the drive dangerous.",
    "Freezing cold and icy roads this morning.",
    "Gloomy, damp and grey all weekend.",
    "Heavy rain and thunder kept us inside.",
    "A miserable, windy and wet evening.",
    "The hail ruined the garden.",
    "Bitter cold wind and grey skies.",
    "Another rainy, dreary and cold day.",
    "The storm knocked down trees and power lines.",
    "Icy sleet and a freezing gale.",
    "Wet and gloomy weather, no sun at all.",
    "A cold, dark and rainy winter night.",
    "Awful drizzle, grey and damp until evening.",
    "Thunderstorms and heavy rain all afternoon.",
    "Dreary fog and a bitter, cold wind.",
    "The rain never stopped, miserable and wet.",
]

TEXTS = PLEASANT + UNPLEASANT
LABELS = [1] * len(PLEASANT) + [0] * len(UNPLEASANT)
