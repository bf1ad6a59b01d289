"""Text classification: labeled / unlabeled / test texts, students, a teacher, pseudo-labels."""
