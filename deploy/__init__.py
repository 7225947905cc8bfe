"""Running the app as several replicas behind a load balancer (``make cluster``): see deploy/cluster.py."""
