"""The curation loop: what users asked and did not get, turned into work for a curator.

``grouping`` clusters missed questions, ``proposals`` lists "did you mean" picks as
candidate examples, ``export`` writes draft intents, ``report`` prints it all.
Nothing here changes the knowledge by itself.
"""
