"""Running the product: the embedded database, the Prefect server, the web app and runners."""
